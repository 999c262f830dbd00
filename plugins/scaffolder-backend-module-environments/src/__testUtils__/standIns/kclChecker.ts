/**
 * A structural checker for the `kcl/main.k` our kits render, for machines without the KCL
 * toolchain. It tokenizes and parses the subset of KCL the kits write (imports, top-level
 * assignments, schema instances, lists, dicts, calls, literals) and checks what the
 * unifi-cloudflare-glue module (v0.12.2) needs: well-formed strings, the imports, schema and
 * attribute names of its schemas, the tunnel keyed by its MAC, hostnames inside the zone and
 * the internal domain, and the two public outputs the module extracts.
 *
 * It is deliberately strict: only double-quoted strings with `\\` and `\"` escapes, no
 * interpolation (`${`), no attribute the upstream schemas do not declare (KCL schemas are
 * closed), no private (`_`) name where the module must read a public one.
 */

export const GLUE_MODULES = {
  schemasUnifi: 'unifi_cloudflare_glue.schemas.unifi',
  schemasCloudflare: 'unifi_cloudflare_glue.schemas.cloudflare',
  generatorsUnifi: 'unifi_cloudflare_glue.generators.unifi',
  generatorsCloudflare: 'unifi_cloudflare_glue.generators.cloudflare',
} as const;

type AttributeType =
  | 'str'
  | 'int'
  | 'bool'
  | { list: string }
  | { dict: string }
  | { schema: string }
  | { enum: readonly string[] }
  | 'strList';

interface SchemaSpec {
  module: 'schemasUnifi' | 'schemasCloudflare';
  attributes: Record<string, AttributeType>;
  /** Attributes without a default and not optional (`name: type` in the upstream schema). */
  required: string[];
}

/** The schemas of unifi-cloudflare-glue v0.12.2 (schemas/unifi.k, schemas/cloudflare.k). */
export const GLUE_SCHEMAS: Record<string, SchemaSpec> = {
  UniFiEndpoint: {
    module: 'schemasUnifi',
    attributes: {
      mac_address: 'str',
      nic_name: 'str',
      service_cnames: 'strList',
      query_unifi: 'bool',
      static_ip: 'str',
    },
    required: ['mac_address'],
  },
  Service: {
    module: 'schemasUnifi',
    attributes: {
      name: 'str',
      port: 'int',
      protocol: { enum: ['http', 'https', 'tcp'] },
      distribution: { enum: ['unifi_only', 'cloudflare_only', 'both'] },
      internal_hostname: 'str',
      public_hostname: 'str',
    },
    required: ['name', 'port', 'protocol'],
  },
  UniFiEntity: {
    module: 'schemasUnifi',
    attributes: {
      friendly_hostname: 'str',
      domain: 'str',
      endpoints: { list: 'UniFiEndpoint' },
      services: { list: 'Service' },
      unifi_site: 'str',
      service_cnames: 'strList',
    },
    required: ['friendly_hostname', 'domain'],
  },
  UniFiController: {
    module: 'schemasUnifi',
    attributes: {
      host: 'str',
      port: 'int',
      username_ref: 'str',
      password_ref: 'str',
      site: 'str',
    },
    required: ['host'],
  },
  UniFiConfig: {
    module: 'schemasUnifi',
    attributes: {
      devices: { list: 'UniFiEntity' },
      default_domain: 'str',
      unifi_controller: { schema: 'UniFiController' },
    },
    required: [],
  },
  TunnelService: {
    module: 'schemasCloudflare',
    attributes: {
      public_hostname: 'str',
      local_service_url: 'str',
      no_tls_verify: 'bool',
      path_prefix: 'str',
    },
    required: ['public_hostname', 'local_service_url'],
  },
  CloudflareTunnel: {
    module: 'schemasCloudflare',
    attributes: {
      tunnel_name: 'str',
      mac_address: 'str',
      services: { list: 'TunnelService' },
      credentials_path: 'str',
    },
    required: ['tunnel_name', 'mac_address'],
  },
  CloudflareConfig: {
    module: 'schemasCloudflare',
    attributes: {
      zone_name: 'str',
      account_id: 'str',
      tunnels: { dict: 'CloudflareTunnel' },
      default_no_tls_verify: 'bool',
    },
    required: ['zone_name', 'account_id'],
  },
};

/** Schemas every rendered main.k instantiates (the tunnel ones only with public services). */
export const ALWAYS_USED_SCHEMAS = [
  'UniFiEntity',
  'UniFiEndpoint',
  'Service',
  'UniFiConfig',
  'UniFiController',
  'CloudflareConfig',
];

export const NORMALISED_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

// ---------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'name' | 'string' | 'number' | 'punct' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  /** For strings: the decoded value. */
  value?: string;
  line: number;
}

const PUNCT = new Set(['=', ':', ',', '.', '(', ')', '[', ']', '{', '}']);
const CLOSING: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

function tokenize(text: string, problems: string[]): Token[] {
  const tokens: Token[] = [];
  const stack: { char: string; line: number }[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"') {
      if (text.startsWith('"""', i))
        problems.push(
          `line ${line}: triple-quoted strings are not expected in main.k`,
        );
      let j = i + 1;
      let value = '';
      let closed = false;
      while (j < text.length) {
        const d = text[j];
        if (d === '"') {
          closed = true;
          break;
        }
        if (d === '\n') break;
        if (d === '\\') {
          const next = text[j + 1];
          if (next === '\\' || next === '"') {
            value += next;
            j += 2;
            continue;
          }
          problems.push(
            `line ${line}: string escape \\${next ?? ''} is not one of \\\\ and \\"`,
          );
          value += d;
          j++;
          continue;
        }
        if (d === '$' && text[j + 1] === '{')
          problems.push(
            `line ${line}: string contains \${, which KCL interpolates`,
          );
        if (d.charCodeAt(0) < 0x20 || d.charCodeAt(0) === 0x7f) {
          problems.push(
            `line ${line}: string contains control character U+${d.charCodeAt(0).toString(16).padStart(4, '0')}`,
          );
        }
        value += d;
        j++;
      }
      if (!closed) {
        problems.push(`line ${line}: unterminated string`);
        tokens.push({ kind: 'string', text: text.slice(i, j), value, line });
        i = j;
      } else {
        tokens.push({
          kind: 'string',
          text: text.slice(i, j + 1),
          value,
          line,
        });
        i = j + 1;
      }
    } else if (c === "'") {
      problems.push(
        `line ${line}: single-quoted string; the kits write only double-quoted strings`,
      );
      let j = i + 1;
      while (j < text.length && text[j] !== "'" && text[j] !== '\n') j++;
      tokens.push({
        kind: 'string',
        text: text.slice(i, j + 1),
        value: text.slice(i + 1, j),
        line,
      });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j])) j++;
      const word = text.slice(i, j);
      if (text[j] === '"' || text[j] === "'") {
        problems.push(
          `line ${line}: string prefix ${word} is not expected (raw or formatted strings)`,
        );
      }
      tokens.push({ kind: 'name', text: word, line });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < text.length && /[0-9]/.test(text[j])) j++;
      tokens.push({ kind: 'number', text: text.slice(i, j), line });
      i = j;
    } else if (PUNCT.has(c)) {
      if ('([{'.includes(c)) stack.push({ char: c, line });
      if (c in CLOSING) {
        const open = stack.pop();
        if (!open)
          problems.push(`line ${line}: unbalanced ${c} closes nothing`);
        else if (open.char !== CLOSING[c])
          problems.push(
            `line ${line}: ${c} closes ${open.char} opened on line ${open.line}`,
          );
      }
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      problems.push(`line ${line}: unexpected character ${JSON.stringify(c)}`);
      i++;
    }
  }
  for (const open of stack)
    problems.push(`line ${open.line}: ${open.char} is never closed`);
  tokens.push({ kind: 'eof', text: '', line });
  return tokens;
}

// ---------------------------------------------------------------------------------------
// Syntax tree

export type Expr =
  | { kind: 'string'; value: string; line: number }
  | { kind: 'number'; value: number; line: number }
  | { kind: 'bool'; value: boolean; line: number }
  | { kind: 'none'; line: number }
  | { kind: 'name'; path: string[]; line: number }
  | { kind: 'list'; items: Expr[]; line: number }
  | { kind: 'dict'; entries: Entry[]; line: number }
  | { kind: 'instance'; schema: string[]; entries: Entry[]; line: number }
  | { kind: 'call'; callee: string[]; args: Expr[]; line: number };

export interface Entry {
  key: string;
  keyIsString: boolean;
  op: '=' | ':';
  value: Expr;
  line: number;
}

export interface KclModule {
  /** Imported module path to alias. */
  imports: Map<string, string>;
  /** Top-level assignments in order. */
  assignments: { name: string; value: Expr; line: number }[];
}

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private isPunct(text: string, offset = 0) {
    const t = this.peek(offset);
    return t.kind === 'punct' && t.text === text;
  }
  private expectPunct(text: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text)
      throw new ParseError(
        `line ${t.line}: expected ${text}, found ${t.text || 'end of file'}`,
      );
    return t;
  }
  private expectName(): Token {
    const t = this.next();
    if (t.kind !== 'name')
      throw new ParseError(
        `line ${t.line}: expected a name, found ${t.text || 'end of file'}`,
      );
    return t;
  }

  parseModule(): KclModule {
    const module: KclModule = { imports: new Map(), assignments: [] };
    while (this.peek().kind !== 'eof') {
      const t = this.expectName();
      if (t.text === 'import') {
        const parts = [this.expectName().text];
        while (this.isPunct('.')) {
          this.next();
          parts.push(this.expectName().text);
        }
        let alias = parts[parts.length - 1];
        if (this.peek().kind === 'name' && this.peek().text === 'as') {
          this.next();
          alias = this.expectName().text;
        }
        module.imports.set(parts.join('.'), alias);
      } else {
        this.expectPunct('=');
        module.assignments.push({
          name: t.text,
          value: this.parseExpr(),
          line: t.line,
        });
      }
    }
    return module;
  }

  private parseExpr(): Expr {
    const t = this.next();
    if (t.kind === 'string')
      return { kind: 'string', value: t.value ?? '', line: t.line };
    if (t.kind === 'number')
      return { kind: 'number', value: Number(t.text), line: t.line };
    if (t.kind === 'punct' && t.text === '[') {
      const items: Expr[] = [];
      while (!this.isPunct(']')) {
        items.push(this.parseExpr());
        if (this.isPunct(',')) this.next();
      }
      this.next();
      return { kind: 'list', items, line: t.line };
    }
    if (t.kind === 'punct' && t.text === '{') {
      return { kind: 'dict', entries: this.parseEntries(), line: t.line };
    }
    if (t.kind === 'name') {
      if (t.text === 'True' || t.text === 'False')
        return { kind: 'bool', value: t.text === 'True', line: t.line };
      if (t.text === 'None') return { kind: 'none', line: t.line };
      const path = [t.text];
      while (this.isPunct('.')) {
        this.next();
        path.push(this.expectName().text);
      }
      if (this.isPunct('{')) {
        this.next();
        return {
          kind: 'instance',
          schema: path,
          entries: this.parseEntries(),
          line: t.line,
        };
      }
      if (this.isPunct('(')) {
        this.next();
        const args: Expr[] = [];
        while (!this.isPunct(')')) {
          args.push(this.parseExpr());
          if (this.isPunct(',')) this.next();
        }
        this.next();
        return { kind: 'call', callee: path, args, line: t.line };
      }
      return { kind: 'name', path, line: t.line };
    }
    throw new ParseError(
      `line ${t.line}: unexpected ${t.text || 'end of file'}`,
    );
  }

  /** Entries up to the closing brace: `name = value`, `name: value` or `"key": value`. */
  private parseEntries(): Entry[] {
    const entries: Entry[] = [];
    while (!this.isPunct('}')) {
      const key = this.next();
      if (key.kind !== 'name' && key.kind !== 'string') {
        throw new ParseError(
          `line ${key.line}: expected an attribute name or a key, found ${key.text || 'end of file'}`,
        );
      }
      const op = this.next();
      if (op.kind !== 'punct' || (op.text !== '=' && op.text !== ':')) {
        throw new ParseError(
          `line ${op.line}: expected = or : after ${key.text}`,
        );
      }
      entries.push({
        key: key.kind === 'string' ? (key.value ?? '') : key.text,
        keyIsString: key.kind === 'string',
        op: op.text as '=' | ':',
        value: this.parseExpr(),
        line: key.line,
      });
      if (this.isPunct(',')) this.next();
    }
    this.next();
    return entries;
  }
}

/** A schema instance or dict as plain data: `{ __schema: 'Service', name: 'x', ... }`. */
export function toPlain(expr: Expr): unknown {
  switch (expr.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return expr.value;
    case 'none':
      return null;
    case 'name':
      return { __ref: expr.path.join('.') };
    case 'list':
      return expr.items.map(toPlain);
    case 'dict':
      return Object.fromEntries(
        expr.entries.map(e => [e.key, toPlain(e.value)]),
      );
    case 'instance':
      return {
        __schema: expr.schema[expr.schema.length - 1],
        ...Object.fromEntries(expr.entries.map(e => [e.key, toPlain(e.value)])),
      };
    case 'call':
      return { __call: expr.callee.join('.'), args: expr.args.map(toPlain) };
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Checks

export interface KclExpectations {
  /** The Cloudflare zone every public hostname must lie in (default: CloudflareConfig.zone_name). */
  zoneName?: string;
  /** The internal domain every local service URL host must end in (default: UniFiConfig.default_domain). */
  internalDomain?: string;
}

export interface KclCheckResult {
  problems: string[];
  module?: KclModule;
  /** Simple names of the schemas instantiated. */
  schemasUsed: Set<string>;
  /** The top-level values, as plain data. */
  values: Record<string, unknown>;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The upstream is_valid_domain / is_valid_domain_suffix rule (RFC 1123 labels, a dot, TLD >= 2). */
export function isValidDomain(host: string): boolean {
  const labels = host.split('.');
  return (
    host.includes('.') &&
    labels.every(l => LABEL.test(l)) &&
    labels[labels.length - 1].length >= 2
  );
}

function walk(expr: Expr, visit: (e: Expr) => void) {
  visit(expr);
  if (expr.kind === 'list') expr.items.forEach(i => walk(i, visit));
  if (expr.kind === 'dict' || expr.kind === 'instance')
    expr.entries.forEach(e => walk(e.value, visit));
  if (expr.kind === 'call') expr.args.forEach(a => walk(a, visit));
}

/** Checks a rendered main.k; an empty `problems` list means it passed. */
export function checkKclMain(
  text: string,
  expectations: KclExpectations = {},
): KclCheckResult {
  const problems: string[] = [];
  const schemasUsed = new Set<string>();
  const tokens = tokenize(text, problems);
  let module: KclModule;
  try {
    module = new Parser(tokens).parseModule();
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    problems.push(error.message);
    return { problems, schemasUsed, values: {} };
  }

  // Imports: exactly the four modules, each under one alias.
  const aliasOf = new Map<string, keyof typeof GLUE_MODULES>();
  for (const [key, modulePath] of Object.entries(GLUE_MODULES) as [
    keyof typeof GLUE_MODULES,
    string,
  ][]) {
    const alias = module.imports.get(modulePath);
    if (alias === undefined) problems.push(`missing import ${modulePath}`);
    else aliasOf.set(alias, key);
  }
  for (const modulePath of module.imports.keys()) {
    if (!Object.values(GLUE_MODULES).includes(modulePath as any))
      problems.push(`unexpected import ${modulePath}`);
  }

  // Names: defined before use, assigned once.
  const defined = new Set<string>(module.imports.values());
  const topLevel = new Map<string, Expr>();
  for (const { name, value, line } of module.assignments) {
    walk(value, e => {
      let head: string | undefined;
      if (e.kind === 'name') head = e.path[0];
      else if (e.kind === 'instance') head = e.schema[0];
      else if (e.kind === 'call') head = e.callee[0];
      if (head !== undefined && !defined.has(head))
        problems.push(`line ${e.line}: ${head} is used before it is defined`);
    });
    if (topLevel.has(name))
      problems.push(
        `line ${line}: ${name} is assigned twice (KCL top-level names are immutable)`,
      );
    topLevel.set(name, value);
    defined.add(name);
  }

  // Schema instances: known schema through the right alias, declared attributes, required ones, types.
  const instances: {
    schema: string;
    expr: Extract<Expr, { kind: 'instance' }>;
  }[] = [];
  const checkType = (type: AttributeType, value: Expr, where: string) => {
    const resolved =
      value.kind === 'name' && value.path.length === 1
        ? (topLevel.get(value.path[0]) ?? value)
        : value;
    if (type === 'str' && value.kind !== 'string')
      problems.push(`${where} must be a string`);
    else if (type === 'int' && value.kind !== 'number')
      problems.push(`${where} must be an integer`);
    else if (type === 'bool' && value.kind !== 'bool')
      problems.push(`${where} must be True or False`);
    else if (
      type === 'strList' &&
      (value.kind !== 'list' || value.items.some(i => i.kind !== 'string'))
    )
      problems.push(`${where} must be a list of strings`);
    else if (typeof type === 'object' && 'enum' in type) {
      if (value.kind !== 'string' || !type.enum.includes(value.value))
        problems.push(`${where} must be one of ${type.enum.join(', ')}`);
    } else if (typeof type === 'object' && 'list' in type) {
      if (value.kind !== 'list')
        problems.push(`${where} must be a list of ${type.list}`);
      else
        value.items.forEach((item, i) =>
          checkType({ schema: type.list }, item, `${where}[${i}]`),
        );
    } else if (typeof type === 'object' && 'dict' in type) {
      if (value.kind !== 'dict')
        problems.push(`${where} must be a dict of ${type.dict}`);
      else
        value.entries.forEach(e =>
          checkType(
            { schema: type.dict },
            e.value,
            `${where}[${JSON.stringify(e.key)}]`,
          ),
        );
    } else if (typeof type === 'object' && 'schema' in type) {
      if (
        resolved.kind !== 'instance' ||
        resolved.schema[resolved.schema.length - 1] !== type.schema
      ) {
        problems.push(`${where} must be a ${type.schema}`);
      }
    }
  };
  for (const { value } of module.assignments) {
    walk(value, e => {
      if (e.kind !== 'instance') return;
      const [alias, name, ...rest] = e.schema;
      const spec = GLUE_SCHEMAS[name];
      const where = `line ${e.line}: ${e.schema.join('.')}`;
      if (!spec || rest.length > 0 || name === undefined) {
        problems.push(`${where} is not a schema of unifi-cloudflare-glue`);
        return;
      }
      if (aliasOf.get(alias) !== spec.module) {
        problems.push(
          `${where}: ${name} must be reached through the alias of ${GLUE_MODULES[spec.module]}`,
        );
      }
      schemasUsed.add(name);
      instances.push({ schema: name, expr: e });
      const seen = new Set<string>();
      for (const entry of e.entries) {
        if (entry.keyIsString || entry.op !== '=')
          problems.push(
            `line ${entry.line}: ${name}.${entry.key} must be written name = value`,
          );
        if (seen.has(entry.key))
          problems.push(
            `line ${entry.line}: ${name}.${entry.key} is set twice`,
          );
        seen.add(entry.key);
        const type = spec.attributes[entry.key];
        if (!type)
          problems.push(
            `line ${entry.line}: ${name} has no attribute ${entry.key} (upstream schemas are closed)`,
          );
        else
          checkType(
            type,
            entry.value,
            `line ${entry.line}: ${name}.${entry.key}`,
          );
      }
      for (const required of spec.required) {
        if (!seen.has(required))
          problems.push(`${where} lacks the required attribute ${required}`);
      }
    });
  }
  for (const name of ALWAYS_USED_SCHEMAS) {
    if (!schemasUsed.has(name)) problems.push(`no ${name} is instantiated`);
  }

  const attr = (e: Extract<Expr, { kind: 'instance' }>, key: string) =>
    e.entries.find(x => x.key === key)?.value;
  const str = (e: Expr | undefined) =>
    e?.kind === 'string' ? e.value : undefined;
  const resolve = (e: Expr | undefined) =>
    e?.kind === 'name' && e.path.length === 1 ? topLevel.get(e.path[0]) : e;

  const cloudflareConfigs = instances.filter(
    i => i.schema === 'CloudflareConfig',
  );
  const unifiConfigs = instances.filter(i => i.schema === 'UniFiConfig');
  if (cloudflareConfigs.length > 1)
    problems.push('more than one CloudflareConfig');
  if (unifiConfigs.length > 1) problems.push('more than one UniFiConfig');
  const zone =
    expectations.zoneName ??
    str(cloudflareConfigs[0] && attr(cloudflareConfigs[0].expr, 'zone_name'));
  const internalDomain =
    expectations.internalDomain ??
    str(unifiConfigs[0] && attr(unifiConfigs[0].expr, 'default_domain'));
  if (expectations.zoneName !== undefined && cloudflareConfigs[0]) {
    const actual = str(attr(cloudflareConfigs[0].expr, 'zone_name'));
    if (actual !== expectations.zoneName)
      problems.push(
        `CloudflareConfig.zone_name is ${actual}, expected ${expectations.zoneName}`,
      );
  }

  // The tunnel dict is keyed by the tunnel's MAC address.
  for (const { expr } of cloudflareConfigs) {
    const tunnels = attr(expr, 'tunnels');
    if (tunnels?.kind !== 'dict') continue;
    for (const entry of tunnels.entries) {
      if (!entry.keyIsString)
        problems.push(
          `line ${entry.line}: tunnel key ${entry.key} must be a string (the MAC address)`,
        );
      const tunnel = resolve(entry.value);
      const mac =
        tunnel?.kind === 'instance'
          ? str(attr(tunnel, 'mac_address'))
          : undefined;
      if (mac !== entry.key)
        problems.push(
          `line ${entry.line}: tunnel key ${JSON.stringify(entry.key)} differs from its mac_address ${JSON.stringify(mac)}`,
        );
    }
  }

  for (const { schema, expr } of instances) {
    const mac = str(attr(expr, 'mac_address'));
    if (mac !== undefined && !NORMALISED_MAC.test(mac)) {
      problems.push(
        `line ${expr.line}: ${schema}.mac_address ${JSON.stringify(mac)} is not lower-case with colons`,
      );
    }
    const publicHostname = str(attr(expr, 'public_hostname'));
    if (
      publicHostname !== undefined &&
      zone !== undefined &&
      publicHostname !== zone &&
      !publicHostname.endsWith(`.${zone}`)
    ) {
      problems.push(
        `line ${expr.line}: ${schema}.public_hostname ${publicHostname} is not inside the zone ${zone}`,
      );
    }
    const url = str(attr(expr, 'local_service_url'));
    if (url !== undefined) {
      const match = /^(https?|tcp):\/\/([^/:]+):([0-9]{1,5})$/.exec(url);
      if (!match)
        problems.push(
          `line ${expr.line}: local_service_url ${url} is not scheme://host:port`,
        );
      else {
        const [, , host, port] = match;
        if (
          internalDomain !== undefined &&
          !host.endsWith(`.${internalDomain}`)
        ) {
          problems.push(
            `line ${expr.line}: local_service_url host ${host} does not end with .${internalDomain}`,
          );
        }
        if (!isValidDomain(host))
          problems.push(
            `line ${expr.line}: local_service_url host ${host} fails the module's is_valid_domain check`,
          );
        if (Number(port) < 1 || Number(port) > 65535)
          problems.push(
            `line ${expr.line}: local_service_url port ${port} is out of range`,
          );
      }
    }
    const port = attr(expr, 'port');
    if (port?.kind === 'number' && (port.value < 1 || port.value > 65535))
      problems.push(
        `line ${expr.line}: ${schema}.port ${port.value} is out of range`,
      );
    if (schema === 'UniFiEntity') {
      const endpoints = attr(expr, 'endpoints');
      if (endpoints?.kind !== 'list' || endpoints.items.length === 0)
        problems.push(
          `line ${expr.line}: UniFiEntity needs at least one endpoint`,
        );
      const hostname = str(attr(expr, 'friendly_hostname'));
      if (hostname !== undefined && !LABEL.test(hostname))
        problems.push(
          `line ${expr.line}: friendly_hostname ${hostname} is not one RFC 1123 label`,
        );
      const domain = str(attr(expr, 'domain'));
      if (domain !== undefined && !isValidDomain(domain))
        problems.push(
          `line ${expr.line}: domain ${domain} fails the module's is_valid_domain_suffix check`,
        );
    }
    if (schema === 'UniFiConfig') {
      const domain = str(attr(expr, 'default_domain'));
      if (domain !== undefined && !isValidDomain(domain))
        problems.push(
          `line ${expr.line}: default_domain ${domain} fails the module's is_valid_domain_suffix check`,
        );
    }
  }

  // The two public outputs the module extracts with yq.
  const aliasFor = (key: keyof typeof GLUE_MODULES) =>
    module.imports.get(GLUE_MODULES[key]);
  const outputs = [
    {
      name: 'unifi_output',
      generator: aliasFor('generatorsUnifi'),
      fn: 'generate_unifi_config',
      schema: 'UniFiConfig',
    },
    {
      name: 'cf_output',
      generator: aliasFor('generatorsCloudflare'),
      fn: 'generate_cloudflare_config',
      schema: 'CloudflareConfig',
    },
  ];
  for (const output of outputs) {
    const value = topLevel.get(output.name);
    if (!value) {
      problems.push(
        `main.k does not export the public variable ${output.name} that the module reads`,
      );
      continue;
    }
    const expected = `${output.generator}.${output.fn}`;
    if (
      value.kind !== 'call' ||
      value.callee.join('.') !== expected ||
      value.args.length !== 1
    ) {
      problems.push(`${output.name} must be ${expected}(<a ${output.schema}>)`);
      continue;
    }
    const config = resolve(value.args[0]);
    if (
      config?.kind !== 'instance' ||
      config.schema[config.schema.length - 1] !== output.schema
    ) {
      problems.push(`${output.name} must be built from a ${output.schema}`);
    }
  }
  for (const name of topLevel.keys()) {
    if (
      name.startsWith('_') &&
      outputs.some(o => o.name === name.replace(/^_+/, ''))
    ) {
      problems.push(
        `${name} is private: KCL does not export names starting with _, and the module reads ${name.replace(/^_+/, '')}`,
      );
    }
  }

  const values = Object.fromEntries(
    [...topLevel].map(([name, value]) => [name, toPlain(value)]),
  );
  return { problems, module, schemasUsed, values };
}

/** Checks kcl/kcl.mod: the package section and the unifi_cloudflare_glue dependency at `glueVersion`. */
export function checkKclMod(text: string, glueVersion: string): string[] {
  const problems: string[] = [];
  if (!/^\[package\]\s*$/m.test(text))
    problems.push('kcl.mod has no [package] section');
  if (!/^\[dependencies\]\s*$/m.test(text))
    problems.push('kcl.mod has no [dependencies] section');
  const dependency = /^unifi_cloudflare_glue\s*=\s*\{([^}\n]*)\}\s*$/m.exec(
    text,
  );
  if (!dependency) {
    problems.push('kcl.mod does not depend on unifi_cloudflare_glue');
    return problems;
  }
  const fields = Object.fromEntries(
    [...dependency[1].matchAll(/(\w+)\s*=\s*"([^"]*)"/g)].map(m => [
      m[1],
      m[2],
    ]),
  );
  if (fields.git !== 'https://github.com/SolomonHD/unifi-cloudflare-glue')
    problems.push(`kcl.mod dependency git is ${fields.git}`);
  if (fields.tag !== glueVersion)
    problems.push(`kcl.mod pins tag ${fields.tag}, expected ${glueVersion}`);
  return problems;
}
