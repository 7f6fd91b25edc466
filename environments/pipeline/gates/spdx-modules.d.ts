// Types of the SPDX packages the licenses gate uses (they ship none).
declare module 'spdx-expression-parse' {
  type Node =
    { license: string; plus?: boolean; exception?: string } | { left: Node; conjunction: 'and' | 'or'; right: Node };
  function parse(expression: string): Node;
  export = parse;
}
declare module 'spdx-satisfies' {
  function satisfies(expression: string, approved: string[]): boolean;
  export = satisfies;
}
