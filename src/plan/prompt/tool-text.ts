// Tool and function definitions as the model reads them. OpenAI does not send the JSON schema to
// the model as JSON: it renders each function as a TypeScript-like declaration inside
// `namespace functions { ... }`, descriptions as `//` comments. Counting that rendering rather
// than the JSON comes within a few tokens of the provider's count (JSON's quotes and braces would
// count a third more). Schema keywords the rendering may carry (format, default, minimum, ...)
// are kept as comments, so the text errs on the long side.
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_DEPTH = 16;
const SHAPE_KEYS = new Set(['type', 'properties', 'required', 'items', 'enum', 'description', 'additionalProperties', 'title']);

function typeOf(schema: unknown, indent: string, depth: number): string {
  if (!isObj(schema) || depth > MAX_DEPTH) return 'any';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    const list = schema[k];
    if (Array.isArray(list)) return list.map((s) => typeOf(s, indent, depth + 1)).join(k === 'allOf' ? ' & ' : ' | ');
  }
  const t = schema.type;
  if (Array.isArray(t)) return t.map((x) => typeOf({ ...schema, type: x }, indent, depth + 1)).join(' | ');
  if (t === 'array') return `${typeOf(schema.items, indent, depth + 1)}[]`;
  if (t === 'object' || isObj(schema.properties)) return objectType(schema, indent, depth);
  if (t === 'integer') return 'number';
  return typeof t === 'string' ? t : 'any';
}

function comments(schema: Obj, indent: string): string {
  let out = '';
  if (typeof schema.description === 'string') out += `${indent}// ${schema.description}\n`;
  for (const [k, v] of Object.entries(schema)) {
    if (!SHAPE_KEYS.has(k) && k !== 'anyOf' && k !== 'oneOf' && k !== 'allOf') out += `${indent}// ${k}: ${JSON.stringify(v)}\n`;
  }
  return out;
}

function objectType(schema: Obj, indent: string, depth: number): string {
  const props = isObj(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const inner = `${indent}  `;
  let out = '{\n';
  for (const [name, prop] of Object.entries(props)) {
    if (isObj(prop)) out += comments(prop, inner);
    out += `${inner}${name}${required.has(name) ? '' : '?'}: ${typeOf(prop, inner, depth + 1)},\n`;
  }
  return `${out}${indent}}`;
}

function functionText(name: unknown, description: unknown, parameters: unknown): string {
  let out = typeof description === 'string' ? `// ${description}\n` : '';
  const params = isObj(parameters) && isObj(parameters.properties) ? `_: ${objectType(parameters, '', 0)}` : '';
  out += `type ${typeof name === 'string' ? name : ''} = (${params}) => any;\n\n`;
  return out;
}

/** The tools (chat `tools`, legacy `functions`, or Responses `tools`) as one text, or '' when none. */
export function toolsText(tools: unknown): string {
  if (!Array.isArray(tools) || tools.length === 0) return '';
  let fns = '';
  let other = '';
  for (const t of tools) {
    if (!isObj(t)) continue;
    const f = isObj(t.function) ? t.function : t.type === 'function' || (t.type === undefined && 'name' in t) ? t : null;
    if (f) fns += functionText(f.name, f.description, f.parameters);
    else other += `${JSON.stringify(t)}\n`;
  }
  return (fns ? `namespace functions {\n\n${fns}} // namespace functions\n` : '') + other;
}

/** A structured-output schema (chat `response_format`, Responses `text.format`) as text. */
export function schemaText(format: unknown): string {
  if (!isObj(format) || format.type !== 'json_schema') return '';
  const spec = isObj(format.json_schema) ? format.json_schema : format;
  return `${typeof spec.name === 'string' ? spec.name : ''}\n${JSON.stringify(spec.schema ?? {})}`;
}
