; Maze tag query for Go.
; Definitions: @name plus @definition.<kind> on the defining node.

(function_declaration
  name: (identifier) @name) @definition.function

(method_declaration
  name: (field_identifier) @name) @definition.method

(type_spec
  name: (type_identifier) @name
  type: [(struct_type) (interface_type)]) @definition.class

; Any other named type; a struct or interface is also matched above, and class outranks type.
(type_spec
  name: (type_identifier) @name) @definition.type

(type_alias
  name: (type_identifier) @name) @definition.type

(method_elem
  name: (field_identifier) @name) @definition.method

(source_file
  (const_declaration
    (const_spec
      name: (identifier) @name) @definition.constant))

(source_file
  (var_declaration
    (var_spec
      name: (identifier) @name) @definition.variable))

(source_file
  (var_declaration
    (var_spec_list
      (var_spec
        name: (identifier) @name) @definition.variable)))

; Imports: the whole package is imported, so the name is the path; a local package name is the alias.

(import_spec
  name: (_) @import.alias
  path: (_) @import.module) @import

(import_spec
  !name
  path: (_) @import.module) @import

; References.

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (selector_expression
    field: (field_identifier) @name)) @reference.call

(type_identifier) @name @reference.type
