// `npm run docs:requirements`: writes docs/requirements.md, the traceability table from each requirement ID of the
// client's requirements.en.md to the metadata, plugins, screens and tests that declare it. A jest test
// (tests/unit/requirements-doc.test.ts) regenerates it in memory and fails when the file is stale.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { discoverPlugins } from '../plugins/host';
import { registerKindsFor } from '../server';
import { loadMetadataFiles } from '../metadata/loader';

const ROOT = path.resolve(__dirname, '../..');
export const REQUIREMENTS_DOC = path.join(ROOT, 'docs', 'requirements.md');
/** The seed sits beside the clone: `../shared/seed/requirements.en.md` from the repository root (also in CI). */
export const REQUIREMENTS_FILE = path.resolve(ROOT, '..', 'shared', 'seed', 'requirements.en.md');
const ID = /R-\d+(?:\.\d+)+/g;

export interface Requirement {
  id: string;
  title: string;
  section: string;
}

/** One place that declares a requirement: a metadata definition, a plugin, a screen or a test. */
export interface Mention {
  id: string;
  column: 'metadata' | 'plugins' | 'screens' | 'tests';
  /** What declares it, as shown in the table (`entity customer`, `storage-slots`, a test title). */
  what: string;
  /** File, relative to the repository root. */
  file: string;
}

const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join('/');

/** A short title: the text up to the first colon, semicolon or full stop, without markdown emphasis. */
export function shortTitle(text: string): string {
  let t = text.replace(/\*+/g, '').replace(/\s+/g, ' ').trim();
  t = t.split(/: |; |\.(?: |$)/)[0].trim();
  if (t.length > 60) t = t.replace(/\s*\([^)]*\)/g, '').trim();
  if (t.length > 70) t = `${t.slice(0, 70).replace(/\s+\S*$/, '')}…`;
  return t;
}

/** Requirement list items (`- R-x.y.z text`, continued on indented lines), in file order, with their heading. */
export function parseRequirements(markdown: string): Requirement[] {
  const out: Requirement[] = [];
  let section = '';
  let cur: { id: string; text: string; section: string } | undefined;
  const flush = () => {
    if (cur) out.push({ id: cur.id, title: shortTitle(cur.text), section: cur.section });
    cur = undefined;
  };
  for (const line of markdown.split(/\r?\n/)) {
    const h = /^#{2,3}\s+(.*)$/.exec(line);
    const item = /^- (R-\d+(?:\.\d+)+)\s+(.*)$/.exec(line);
    if (h || item || !/^\s+\S/.test(line)) flush();
    if (h) section = h[1].trim();
    else if (item) cur = { id: item[1], text: item[2], section };
    else if (cur) cur.text += ` ${line.trim()}`;
  }
  flush();
  return out;
}

export function readRequirements(file = REQUIREMENTS_FILE): Requirement[] {
  if (!fs.existsSync(file))
    throw new Error(`requirements file not found: ${file}\n(the client's requirements.en.md is expected at ../shared/seed/ beside the repository)`);
  const reqs = parseRequirements(fs.readFileSync(file, 'utf8'));
  if (!reqs.length) throw new Error(`no requirement IDs (R-x.y) found in ${file}`);
  return reqs;
}

const idsOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Declarations in the metadata (every METADATA_DIRS root and plugin metadata, through the loader) and plugins. */
function metadataMentions(config: Config): Mention[] {
  const plugins = discoverPlugins(config.pluginsDir);
  registerKindsFor(plugins);
  const roots = [...config.metadataDirs, ...plugins.filter((p) => p.metadata).map((p) => path.join(p.dir, p.metadata!))];
  const { set, origin } = loadMetadataFiles(roots);
  const pluginOfKind = new Map<string, string>();
  for (const p of plugins) for (const k of p.metaKinds ?? []) pluginOfKind.set(k.kind, p.name);
  const out: Mention[] = [];
  for (const kind of Object.keys(set).sort()) {
    for (const id of Object.keys(set[kind]).sort()) {
      const def = set[kind][id];
      const file = rel(origin[kind][id]);
      const plugin = pluginOfKind.get(kind);
      // A QC gate names its requirement in `requirement` too.
      const ids = [...new Set(idsOf(def['x-requirements']))];
      const column = plugin ? 'plugins' : kind === 'form' || kind === 'menu' ? 'screens' : 'metadata';
      const what = plugin ? `${plugin}: ${kind} ${id}` : `${kind} ${id}`;
      for (const r of ids) out.push({ id: r, column, what, file });
      if (kind === 'menu') {
        const walk = (items: any[], trail: string[]) => {
          for (const it of items ?? []) {
            const name = [...trail, it.label?.en ?? it.key];
            for (const r of idsOf(it['x-requirements'])) out.push({ id: r, column: 'screens', what: `menu ${name.join(' › ')}`, file });
            walk(it.children, name);
          }
        };
        walk(def.items, [def.label?.en ?? id]);
      }
    }
  }
  for (const p of plugins) {
    const f = path.join(p.dir, 'requirements.json');
    if (!fs.existsSync(f)) continue;
    for (const r of idsOf(JSON.parse(fs.readFileSync(f, 'utf8')).requirements)) out.push({ id: r, column: 'plugins', what: p.name, file: rel(f) });
  }
  return out;
}

function testFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.name !== 'node_modules')
    .flatMap((d) => (d.isDirectory() ? testFiles(path.join(dir, d.name)) : /\.test\.tsx?$/.test(d.name) ? [path.join(dir, d.name)] : []))
    .sort();
}

/** `describe` / `test` / `it` titles (tests/** and plugins/<name>/tests/**) that name requirement IDs. */
function testMentions(config: Config): Mention[] {
  const plugins = fs.existsSync(config.pluginsDir) ? fs.readdirSync(config.pluginsDir).sort().map((n) => path.join(config.pluginsDir, n, 'tests')) : [];
  const title = /\b(?:describe|test|it)(?:\.(?:only|concurrent|each\([^)]*\)))?\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  const out: Mention[] = [];
  for (const f of [path.join(ROOT, 'tests'), ...plugins].flatMap(testFiles)) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(title)) for (const r of new Set(m[2].match(ID) ?? [])) out.push({ id: r, column: 'tests', what: m[2], file: rel(f) });
  }
  return out;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ');
const link = (m: Mention) => `[${cell(m.what)}](../${m.file})`;

export function renderRequirementsDoc(reqs: Requirement[], mentions: Mention[]): string {
  const by = new Map<string, Mention[]>();
  for (const m of mentions) by.set(m.id, [...(by.get(m.id) ?? []), m]);
  const uncovered = reqs.filter((r) => !by.has(r.id));
  const lines = [
    '# Requirements traceability',
    '',
    '<!-- Generated by `npm run docs:requirements` (platform/cli/requirements.ts). Do not edit by hand. -->',
    '',
    "Each requirement of the client's `requirements.en.md` (shared/seed, beside the repository) and what declares it:",
    'metadata with `x-requirements`, plugins (their metadata kinds and `plugins/<name>/requirements.json`), screens',
    '(menu entries and forms) and tests whose `describe`/`test` title names the ID.',
    '',
    `${reqs.length - uncovered.length} of ${reqs.length} requirements are covered; ${uncovered.length} not yet.`,
  ];
  let section: string | undefined;
  const col = (ms: Mention[], c: Mention['column']) =>
    [...new Map(ms.filter((m) => m.column === c).map((m) => [`${m.what}|${m.file}`, m])).values()].map(link).join('<br>');
  for (const r of reqs) {
    if (r.section !== section) {
      section = r.section;
      lines.push('', `## ${section}`, '', '| ID | Requirement | Metadata | Plugins | Screens | Tests |', '|---|---|---|---|---|---|');
    }
    const ms = by.get(r.id) ?? [];
    const cols = ms.length ? (['metadata', 'plugins', 'screens', 'tests'] as const).map((c) => col(ms, c)) : ['*not yet covered*', '', '', ''];
    lines.push(`| ${r.id} | ${cell(r.title)} | ${cols.join(' | ')} |`);
  }
  lines.push('', '## Not yet covered', '');
  if (!uncovered.length) lines.push('Every requirement is covered.');
  for (const r of uncovered) lines.push(`- ${r.id} ${r.title}`);
  return lines.join('\n') + '\n';
}

export interface RequirementsDoc {
  markdown: string;
  /** IDs named in metadata, plugins or tests that requirements.en.md does not have. */
  unknown: Mention[];
}

export function buildRequirementsDoc(opts: { config?: Config; requirementsFile?: string } = {}): RequirementsDoc {
  const config = opts.config ?? loadConfig(process.env, ROOT);
  const reqs = readRequirements(opts.requirementsFile);
  const mentions = [...metadataMentions(config), ...testMentions(config)];
  const known = new Set(reqs.map((r) => r.id));
  return { markdown: renderRequirementsDoc(reqs, mentions.filter((m) => known.has(m.id))), unknown: mentions.filter((m) => !known.has(m.id)) };
}

if (require.main === module) {
  try {
    const doc = buildRequirementsDoc();
    if (doc.unknown.length) {
      console.error(`unknown requirement IDs (not in ${path.relative(process.cwd(), REQUIREMENTS_FILE)}):`);
      for (const m of doc.unknown) console.error(`  ${m.id}: ${m.what} (${m.file})`);
      process.exit(1);
    }
    fs.writeFileSync(REQUIREMENTS_DOC, doc.markdown);
    console.log(`wrote ${rel(REQUIREMENTS_DOC)}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
