; Maze tag query for Python.
; Definitions: @name plus @definition.<kind> on the defining node.

(class_definition
  name: (identifier) @name) @definition.class

(function_definition
  name: (identifier) @name) @definition.function

(class_definition
  body: (block
    (function_definition
      name: (identifier) @name) @definition.method))

(class_definition
  body: (block
    (decorated_definition
      definition: (function_definition
        name: (identifier) @name) @definition.method)))

(type_alias_statement
  left: (type
    (identifier) @name)) @definition.type

(module
  (expression_statement
    (assignment
      left: (identifier) @name) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))

(module
  (expression_statement
    (assignment
      left: (identifier) @name) @definition.variable)
  (#not-match? @name "^_*[A-Z][A-Z0-9_]*$"))

; Imports: @import on the statement, @import.module / @import.name / @import.alias on the parts.

(import_statement
  name: (dotted_name) @import.module) @import

(import_statement
  name: (aliased_import
    name: (dotted_name) @import.module
    alias: (identifier) @import.alias)) @import

(import_from_statement
  module_name: (_) @import.module
  name: (dotted_name) @import.name) @import

(import_from_statement
  module_name: (_) @import.module
  name: (aliased_import
    name: (dotted_name) @import.name
    alias: (identifier) @import.alias)) @import

(import_from_statement
  module_name: (_) @import.module
  (wildcard_import) @import.name) @import

; References.

(call
  function: (identifier) @name) @reference.call

(call
  function: (attribute
    attribute: (identifier) @name)) @reference.call

(type
  (identifier) @name) @reference.type

(type
  (generic_type
    (identifier) @name)) @reference.type

(type
  (attribute
    attribute: (identifier) @name)) @reference.type

(class_definition
  superclasses: (argument_list
    (identifier) @name)) @reference.type

(class_definition
  superclasses: (argument_list
    (attribute
      attribute: (identifier) @name))) @reference.type
