; Maze tag query for Rust.
; Definitions: @name plus @definition.<kind> on the defining node.

(function_item
  name: (identifier) @name) @definition.function

(declaration_list
  (function_item
    name: (identifier) @name) @definition.method)

(declaration_list
  (function_signature_item
    name: (identifier) @name) @definition.method)

(struct_item
  name: (type_identifier) @name) @definition.class

(enum_item
  name: (type_identifier) @name) @definition.class

(union_item
  name: (type_identifier) @name) @definition.class

(trait_item
  name: (type_identifier) @name) @definition.class

(type_item
  name: (type_identifier) @name) @definition.type

(source_file
  (const_item
    name: (identifier) @name) @definition.constant)

(source_file
  (static_item
    name: (identifier) @name) @definition.constant)

; Imports: the `use` tree is captured whole as @import.tree and expanded by maze.indexing.imports.

(use_declaration
  argument: (_) @import.tree) @import

; References.

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (field_expression
    field: (field_identifier) @name)) @reference.call

(call_expression
  function: (scoped_identifier
    name: (identifier) @name)) @reference.call

(macro_invocation
  macro: (identifier) @name) @reference.call

(type_identifier) @name @reference.type
