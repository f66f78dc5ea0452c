; Maze tag query for TypeScript and TSX (both grammars accept it).
; Definitions: @name plus @definition.<kind> on the defining node.

(function_declaration
  name: (identifier) @name) @definition.function

(generator_function_declaration
  name: (identifier) @name) @definition.function

(function_signature
  name: (identifier) @name) @definition.function

(class_declaration
  name: (type_identifier) @name) @definition.class

(abstract_class_declaration
  name: (type_identifier) @name) @definition.class

(interface_declaration
  name: (type_identifier) @name) @definition.class

(enum_declaration
  name: (identifier) @name) @definition.class

(type_alias_declaration
  name: (type_identifier) @name) @definition.type

(method_definition
  name: (_) @name) @definition.method

(abstract_method_signature
  name: (_) @name) @definition.method

(method_signature
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

; Imports: as in javascript.scm.

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

; References.

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (member_expression
    property: (property_identifier) @name)) @reference.call

(new_expression
  constructor: (identifier) @name) @reference.call

(type_identifier) @name @reference.type

(extends_clause
  value: (identifier) @name) @reference.type
