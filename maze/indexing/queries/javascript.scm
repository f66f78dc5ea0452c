; Maze tag query for JavaScript (and JSX).
; Definitions: @name plus @definition.<kind> on the defining node.

(function_declaration
  name: (identifier) @name) @definition.function

(generator_function_declaration
  name: (identifier) @name) @definition.function

(class_declaration
  name: (identifier) @name) @definition.class

(method_definition
  name: (_) @name) @definition.method

(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

(program
  (lexical_declaration
    kind: "const"
    (variable_declarator
      name: (identifier) @name) @definition.constant))

(program
  (export_statement
    declaration: (lexical_declaration
      kind: "const"
      (variable_declarator
        name: (identifier) @name) @definition.constant)))

(program
  (lexical_declaration
    kind: "let"
    (variable_declarator
      name: (identifier) @name) @definition.variable))

(program
  (variable_declaration
    (variable_declarator
      name: (identifier) @name) @definition.variable))

; Imports: @import on the statement; @import.module, @import.name, @import.alias,
; @import.default (default import binding) and @import.namespace (`* as ns` binding).

(import_statement
  source: (string (string_fragment) @import.module)) @import

(import_statement
  (import_clause
    (identifier) @import.default)
  source: (string (string_fragment) @import.module)) @import

(import_statement
  (import_clause
    (namespace_import
      (identifier) @import.namespace))
  source: (string (string_fragment) @import.module)) @import

(import_statement
  (import_clause
    (named_imports
      (import_specifier
        name: (_) @import.name
        alias: (_)? @import.alias)))
  source: (string (string_fragment) @import.module)) @import

(lexical_declaration
  (variable_declarator
    name: (identifier) @import.alias
    value: (call_expression
      function: (identifier) @_require
      arguments: (arguments (string (string_fragment) @import.module))))
  (#eq? @_require "require")) @import

; References.

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (member_expression
    property: (property_identifier) @name)) @reference.call

(new_expression
  constructor: (identifier) @name) @reference.call

(class_heritage
  (identifier) @name) @reference.type
