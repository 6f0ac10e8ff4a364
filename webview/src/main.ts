/**
 * The rollback checklist webview (browser bundle). It renders the `ChecklistView` the host
 * sends and posts user intents back; it never decides anything itself (gates, states and
 * command lines come from the host). Messages both ways follow src/core/runbook/protocol.ts.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  type ChecklistView,
  parseHostMessage,
  type StepView,
  type WebviewMessage,
} from '../../src/core/runbook/protocol';
import { formatDateTime } from '../../src/core/status/time';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app')!;
const live = document.getElementById('live')!;

interface Persisted {
  view?: ChecklistView;
  drafts?: Record<string, string>;
  open?: Record<string, boolean>;
}
const persisted = (vscode.getState() as Persisted | undefined) ?? {};
let view: ChecklistView | undefined = persisted.view;
/** Text typed into fields survives re-renders and reloads. */
const drafts: Record<string, string> = persisted.drafts ?? {};
/** Which inline forms (skip, override) are open. */
const open: Record<string, boolean> = persisted.open ?? {};
let error: string | undefined;
/** The step the user acted on last: the host's error about it is shown in that step, where the eye is. */
let errorStep: string | undefined;
let lastStep: string | undefined;
/** The step of the last step action (run, mark done, skip, reset, override): focus moves on from it. */
let focusAfter: string | undefined;
const STEP_ACTIONS: ReadonlySet<WebviewMessage['type']> = new Set([
  'run',
  'complete',
  'skip',
  'reset',
  'override',
]);

function post(m: WebviewMessage) {
  if ('step' in m && m.step) lastStep = m.step;
  else if (m.type !== 'ready') lastStep = undefined;
  if (STEP_ACTIONS.has(m.type) && 'step' in m && m.step) focusAfter = m.step;
  vscode.postMessage(m);
}

/** The id of the element focus is on its way to (kept across re-renders until it lands). */
let wantFocus: string | undefined;

/**
 * Focuses the element with this id once it has rendered: a web component just created
 * (vscode-button…) takes focus only after its first update, and a re-render meanwhile replaces
 * the element — the one that bears the id then is focused.
 */
function focusById(id: string): void {
  const el = document.getElementById(id);
  wantFocus = el ? id : undefined;
  if (!el) return;
  const ready =
    (el as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete ?? Promise.resolve();
  void ready.then(() =>
    requestAnimationFrame(() => {
      if (wantFocus !== id) return;
      const now = document.getElementById(id);
      if (!now) return;
      if (now !== el) return focusById(id);
      wantFocus = undefined;
      now.focus();
      now.scrollIntoView({ block: 'nearest' });
    }),
  );
}

/** The control that does a step's next thing, when it can be done now (else null). */
function primaryControl(s: StepView): HTMLElement | null {
  if (s.state === 'running' || s.state === 'done' || s.state === 'skipped') return null;
  if (!s.allowed || !s.available) return null;
  if (s.kind === 'manual') return document.getElementById(`${s.id}-complete`);
  if (s.typeToConfirm !== undefined) return document.getElementById(`${s.id}-typed`);
  return document.getElementById(`${s.id}-run`);
}

/**
 * After a step action, focus never falls back to the page: while the step runs it rests on the
 * step's heading; once it ended, on the next actionable control (the step's own "Run again" when
 * it failed, else the first step after it that can be done now, else the first one before it).
 * It moves only when focus is on the page or inside that step (the user may have gone elsewhere).
 */
function moveFocus(v: ChecklistView): void {
  if (!focusAfter) return;
  const index = v.steps.findIndex((s) => s.id === focusAfter);
  const acted = v.steps[index];
  const box = document.getElementById(`step-${focusAfter}`);
  const active = document.activeElement;
  if (!acted || (active && active !== document.body && !box?.contains(active))) {
    focusAfter = undefined;
    return;
  }
  if (acted.state === 'running') {
    focusById(`title-${acted.id}`);
    return;
  }
  focusAfter = undefined;
  const order = [...v.steps.slice(index), ...v.steps.slice(0, index)];
  for (const s of order) {
    const c = primaryControl(s);
    if (c) {
      focusById(c.id);
      return;
    }
  }
  document.querySelector<HTMLElement>('h1')?.focus();
}

function save() {
  vscode.setState({ view, drafts, open } satisfies Persisted);
}

const STATE_ICON: Record<StepView['state'], { icon: string; label: string; spin?: boolean }> = {
  todo: { icon: 'circle-large-outline', label: 'To do' },
  running: { icon: 'loading', label: 'Running', spin: true },
  done: { icon: 'pass-filled', label: 'Done' },
  failed: { icon: 'error', label: 'Failed' },
  skipped: { icon: 'circle-slash', label: 'Skipped' },
};

type Attrs = Record<string, string | boolean | undefined>;

function h(tag: string, attrs: Attrs = {}, ...children: (Node | string | undefined | false)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

function button(
  id: string,
  label: string,
  onClick: () => void,
  o: { icon?: string; secondary?: boolean; disabled?: boolean; title?: string } = {},
) {
  const b = h('vscode-button', {
    id,
    icon: o.icon,
    secondary: o.secondary,
    disabled: o.disabled,
    title: o.title,
    // The accessible name starts with the visible words (WCAG 2.5.3); the title adds to it only when it extends them.
    'aria-label': o.title?.startsWith(label) ? o.title : undefined,
  });
  b.textContent = label;
  b.addEventListener('click', () => {
    if (!(b as unknown as { disabled: boolean }).disabled) onClick();
  });
  return b;
}

function textField(id: string, placeholder: string, label: string) {
  // `label` is the inner <input>'s accessible name (the element's shadow DOM holds the input).
  const f = h('vscode-textfield', { id, placeholder, label }) as HTMLElement & {
    value: string;
  };
  f.value = drafts[id] ?? '';
  f.addEventListener('input', () => {
    drafts[id] = f.value;
    save();
  });
  return f;
}

function time(iso?: string): string {
  return iso ? formatDateTime(iso) : '';
}

function duration(a?: string, b?: string): string {
  if (!a || !b) return '';
  const ms = new Date(b).getTime() - new Date(a).getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const VERDICT_WORDS: Record<string, string> = {
  nothingLeft: 'nothing left (the schema is that of the migrations before it)',
  complete: 'applied whole (the schema is that of the migrations with it)',
  partial: 'partly applied (neither)',
  couldNotCheck: 'could not check',
};

function detailText(s: StepView): string[] {
  const d = s.detail ?? {};
  const out: string[] = [];
  if (typeof d.file === 'string')
    out.push(`File: ${d.file}${typeof d.size === 'string' ? ` (${d.size})` : ''}`);
  if (typeof d.result === 'string') out.push(`Result: ${d.result}`);
  if (typeof d.verdict === 'string') out.push(`Verdict: ${VERDICT_WORDS[d.verdict] ?? d.verdict}`);
  if (typeof d.summary === 'string') out.push(d.summary);
  if (typeof d.lines === 'string') out.push(...d.lines.split('\n'));
  if (typeof d.state === 'string') out.push(`State: ${d.state}`);
  if (typeof d.health === 'string') out.push(`Health: ${d.health}`);
  if (typeof d.progress === 'string') out.push(`Reached: ${d.progress}`);
  return out;
}

/** Why Run is (not yet) enabled, beside the field where the name is typed. */
function guardHint(expected: string, typed: string, canRun: boolean): { text: string; ok: boolean } {
  if (!canRun) return { text: 'Run stays disabled until the conditions above are met.', ok: false };
  if (typed === expected) return { text: 'The name matches: Run is enabled.', ok: true };
  if (!typed) return { text: `Run stays disabled until you type “${expected}”.`, ok: false };
  return { text: `“${typed}” is not “${expected}”: Run stays disabled.`, ok: false };
}

/**
 * A step that runs only after its environment's name is typed: the field, the reason Run is
 * disabled (updated as one types, beside the field) and Run, enabled only on an exact match.
 */
function typedGuard(s: StepView, runLabel: string, canRun: boolean): HTMLElement[] {
  const expected = s.typeToConfirm ?? '';
  const fieldId = `${s.id}-typed`;
  const hintId = `${s.id}-typed-hint`;
  const typed = () => drafts[fieldId] ?? '';
  const field = textField(fieldId, expected, `Type ${expected} to confirm`);
  field.setAttribute('aria-describedby', hintId);
  const first = guardHint(expected, typed(), canRun);
  const hint = h('span', { id: hintId, class: `guard-hint${first.ok ? ' ok' : ''}` }, first.text);
  const run = button(`${s.id}-run`, runLabel, () => post({ type: 'run', step: s.id, typed: typed() }), {
    icon: 'play',
    disabled: !canRun || typed() !== expected,
    title: `${runLabel}: ${s.title}`,
  });
  run.setAttribute('aria-describedby', hintId);
  field.addEventListener('input', () => {
    const now = guardHint(expected, typed(), canRun);
    hint.textContent = now.text;
    hint.classList.toggle('ok', now.ok);
    (run as unknown as { disabled: boolean }).disabled = !now.ok;
  });
  field.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' && guardHint(expected, typed(), canRun).ok) run.click();
  });
  return [
    h('label', { for: fieldId, class: 'confirm-label' }, `Type “${expected}” to run it there:`),
    h('span', { class: 'guard' }, field, run, hint),
  ];
}

function stepActions(s: StepView): HTMLElement {
  const bar = h('div', { class: 'actions' });
  const running = s.state === 'running';
  const canRun = s.allowed && s.available && !running;
  const runLabel = s.state === 'failed' || s.state === 'done' ? 'Run again' : 'Run';
  if (s.kind === 'task' || s.kind === 'check') {
    if (s.typeToConfirm !== undefined) {
      bar.append(...typedGuard(s, runLabel, canRun));
    } else {
      bar.append(
        button(`${s.id}-run`, runLabel, () => post({ type: 'run', step: s.id }), {
          icon: 'play',
          disabled: !canRun,
          title: `${runLabel}: ${s.title}`,
        }),
      );
    }
  } else if (s.state !== 'done') {
    bar.append(
      button(`${s.id}-complete`, 'Mark done', () => post({ type: 'complete', step: s.id }), {
        icon: 'check',
        disabled: !s.allowed || running,
        title: `Mark done: ${s.title}`,
      }),
    );
  }
  if (s.kind === 'task' && (s.state === 'failed' || s.state === 'done' || running)) {
    bar.append(
      button(
        `${s.id}-terminal`,
        'Show terminal',
        () => post({ type: 'open', target: 'terminal', step: s.id }),
        { icon: 'terminal', secondary: true },
      ),
    );
  }
  if (s.state !== 'skipped' && !running) {
    bar.append(
      button(
        `${s.id}-skip-open`,
        'Skip…',
        () => {
          open[`${s.id}-skip`] = !open[`${s.id}-skip`];
          save();
          render();
          document.getElementById(`${s.id}-skip-reason`)?.focus();
        },
        { secondary: true, title: `Skip ${s.title} (a reason is recorded)` },
      ),
    );
  }
  if ((s.state === 'done' || s.state === 'skipped' || s.state === 'failed') && !running) {
    bar.append(
      button(`${s.id}-reset`, 'Reset', () => post({ type: 'reset', step: s.id }), {
        secondary: true,
        icon: 'discard',
        title: `Reset ${s.title} to to-do`,
      }),
    );
  }
  return bar;
}

function skipForm(s: StepView): HTMLElement | undefined {
  if (!open[`${s.id}-skip`] || s.state === 'skipped') return undefined;
  const id = `${s.id}-skip-reason`;
  return h(
    'div',
    { class: 'inline-form' },
    h('label', { for: id }, 'Why is it skipped? (recorded in the audit log)'),
    textField(id, 'Reason', `Reason for skipping ${s.title}`),
    button(`${s.id}-skip`, 'Skip step', () => {
      post({ type: 'skip', step: s.id, reason: drafts[id] ?? '' });
      open[`${s.id}-skip`] = false;
      drafts[id] = '';
      save();
    }),
  );
}

function overrideForm(s: StepView): HTMLElement | undefined {
  if (!s.overridable) return undefined;
  if (s.overridden) {
    return h(
      'p',
      { class: 'override' },
      h('vscode-icon', { name: 'shield' }),
      ` Gate overridden: “${s.overridden.reason}” (${time(s.overridden.at)})`,
    );
  }
  const id = `${s.id}-override-reason`;
  return h(
    'details',
    { class: 'inline-form' },
    h('summary', {}, 'Override this gate…'),
    h('label', { for: id }, 'Reason (at least 10 characters, recorded in the audit log)'),
    textField(
      id,
      'e.g. provider snapshot taken at 14:02, restored and checked',
      `Reason for overriding the gate of ${s.title}`,
    ),
    button(
      `${s.id}-override`,
      'Override gate',
      () => post({ type: 'override', step: s.id, reason: drafts[id] ?? '' }),
      {
        icon: 'unlock',
        secondary: true,
      },
    ),
  );
}

function dependentsBlock(v: ChecklistView): HTMLElement {
  if (!v.dependents) return h('p', { class: 'muted', id: 'dependents' }, v.dependentsNote ?? '');
  if (v.dependents.length === 0)
    return h(
      'p',
      { class: 'muted', id: 'dependents' },
      'No later migration touches what this one created or changed.',
    );
  return h(
    'div',
    { class: 'warn', id: 'dependents' },
    h(
      'p',
      {},
      h('vscode-icon', { name: 'warning' }),
      ` ${v.dependents.length} later migration${v.dependents.length === 1 ? '' : 's'} depend${v.dependents.length === 1 ? 's' : ''} on it:`,
    ),
    h(
      'ul',
      { 'aria-label': 'Later migrations that depend on it' },
      ...v.dependents.map((d) =>
        h(
          'li',
          {},
          h('code', {}, d.name),
          d.state ? ` (${d.state} in ${v.environment})` : '',
          h('ul', {}, ...d.reasons.map((r) => h('li', {}, r))),
        ),
      ),
    ),
  );
}

function extras(s: StepView, v: ChecklistView): (HTMLElement | undefined)[] {
  switch (s.id) {
    case 'identify':
      if (v.flow === 'resolveFailed')
        return [
          v.statusLine ? h('p', { class: 'status' }, v.statusLine) : undefined,
          v.failureLog
            ? h(
                'div',
                { class: 'failure-log' },
                h('p', {}, "Prisma's failure log (_prisma_migrations.logs):"),
                h(
                  'pre',
                  { id: 'failure-log', tabindex: '0', 'aria-label': "Prisma's failure log" },
                  v.failureLog,
                ),
              )
            : h('p', { class: 'muted' }, "Run Identify to read Prisma's failure log."),
        ];
      return [
        v.statusLine ? h('p', { class: 'status' }, v.statusLine) : undefined,
        v.editedNote
          ? h(
              'p',
              { class: 'warning-text', id: 'edited-note', role: 'note' },
              h('vscode-icon', { name: 'warning' }),
              ` ${v.editedNote}`,
            )
          : undefined,
        v.historyNote
          ? h(
              'p',
              { class: 'note', id: 'history-note' },
              h('vscode-icon', { name: 'info' }),
              ` ${v.historyNote}`,
            )
          : undefined,
        dependentsBlock(v),
      ];
    case 'review':
      return [
        h(
          'div',
          { class: 'actions' },
          button('review-diff', 'Open side by side', () => post({ type: 'open', target: 'diff' }), {
            icon: 'diff',
            secondary: true,
          }),
          button(
            'review-migration',
            'Open migration.sql',
            () => post({ type: 'open', target: 'migration' }),
            { icon: 'go-to-file', secondary: true },
          ),
          button('review-rollback', 'Open rollback', () => post({ type: 'open', target: 'rollback' }), {
            icon: 'go-to-file',
            secondary: true,
          }),
        ),
      ];
    case 'notify': {
      const ta = h('vscode-textarea', {
        id: 'notify-text',
        readonly: true,
        rows: '7',
      }) as HTMLElement & { value: string; label: string };
      // A property only (not an attribute): the inner <textarea>'s accessible name.
      ta.label = 'Message to the team';
      ta.value = v.notifyText;
      return [
        ta,
        h(
          'div',
          { class: 'actions' },
          button('notify-copy', 'Copy', () => post({ type: 'copy', text: v.notifyText }), {
            icon: 'copy',
            secondary: true,
          }),
        ),
      ];
    }
    case 'backup':
      return s.state === 'done'
        ? [
            h(
              'div',
              { class: 'actions' },
              button('backup-reveal', 'Reveal file', () => post({ type: 'open', target: 'backup' }), {
                icon: 'folder-opened',
                secondary: true,
              }),
            ),
          ]
        : [];
    case 'followUp':
      return [
        h(
          'p',
          { class: 'muted' },
          'Keep the folder: the migration reads pending and the next `migrate deploy` applies it again. Delete it: the history is clean, and schema.prisma must be brought back in line (prisma db pull).',
        ),
        h(
          'div',
          { class: 'actions' },
          button('follow-schema', 'Open schema.prisma', () => post({ type: 'open', target: 'schema' }), {
            icon: 'go-to-file',
            secondary: true,
          }),
          button('follow-pull', 'prisma db pull', () => post({ type: 'followUp', action: 'dbPull' }), {
            icon: 'terminal',
            secondary: true,
          }),
          button('follow-keep', 'Keep folder', () => post({ type: 'followUp', action: 'keepFolder' }), {
            icon: 'check',
            secondary: true,
          }),
          button(
            'follow-delete',
            'Delete folder…',
            () => post({ type: 'followUp', action: 'deleteFolder' }),
            { icon: 'trash', secondary: true },
          ),
        ),
      ];
    default:
      return [];
  }
}

/** Disclosures the user opened (re-renders rebuild the page and keep them open). */
const openDetails = new Set<string>();

/** The command short (as a person types it), the full line behind a disclosure. */
function commandBlock(s: StepView): HTMLElement {
  const label = s.startedAt && s.state !== 'todo' ? 'Ran:' : 'Will run:';
  const id = `${s.id}-full-command`;
  const full = h(
    'details',
    { class: 'full-command', id, open: openDetails.has(id) },
    h('summary', {}, s.commandShort ? 'Full command line' : `${label} full command line`),
    h('code', {}, s.commandLine ?? ''),
  );
  full.addEventListener('toggle', () => {
    if ((full as HTMLDetailsElement).open) openDetails.add(id);
    else openDetails.delete(id);
  });
  return s.commandShort
    ? h(
        'div',
        { class: 'command' },
        h('span', { class: 'muted' }, label),
        ' ',
        h('code', { class: 'short-command' }, s.commandShort),
        full,
      )
    : h('div', { class: 'command' }, full);
}

function stepItem(s: StepView, v: ChecklistView): HTMLElement {
  const st = STATE_ICON[s.state];
  const meta = [
    s.startedAt ? `started ${time(s.startedAt)}` : '',
    s.finishedAt && s.startedAt
      ? `took ${duration(s.startedAt, s.finishedAt)}`
      : s.finishedAt
        ? time(s.finishedAt)
        : '',
    s.exitCode !== undefined ? `exit code ${s.exitCode === null ? '—' : s.exitCode}` : '',
  ].filter(Boolean);
  return h(
    'li',
    {
      class: `step ${s.state}${s.available ? '' : ' unavailable'}`,
      id: `step-${s.id}`,
      'aria-labelledby': `title-${s.id}`,
    },
    h(
      'div',
      { class: 'step-head' },
      h('vscode-icon', {
        name: st.icon,
        spin: st.spin,
        class: `state-icon ${s.state}`,
        'aria-hidden': 'true',
      }),
      h('h2', { id: `title-${s.id}`, tabindex: '-1' }, `${s.number}. ${s.title}`),
      h(
        'vscode-badge',
        { variant: 'counter', class: `badge ${s.state}`, 'aria-label': `State: ${st.label}` },
        st.label,
      ),
    ),
    h('p', { class: 'description' }, s.description),
    meta.length ? h('p', { class: 'meta' }, meta.join(' · ')) : undefined,
    !s.available
      ? h(
          'p',
          { class: 'unavailable-reason', role: 'note' },
          h('vscode-icon', { name: 'info' }),
          ` ${s.unavailableReason ?? 'Not available yet.'}`,
        )
      : undefined,
    s.commandLine ? commandBlock(s) : undefined,
    s.progress
      ? h(
          'p',
          { class: 'progress', id: `${s.id}-progress`, role: 'status' },
          h('vscode-icon', { name: 'loading', spin: true, 'aria-hidden': 'true' }),
          ` ${s.progress}`,
        )
      : undefined,
    s.note ? h('p', { class: 'note' }, s.note) : undefined,
    s.reason ? h('p', { class: s.state === 'failed' ? 'error-text' : 'muted' }, s.reason) : undefined,
    ...detailText(s).map((t) => h('p', { class: 'detail' }, t)),
    s.available && s.blockers.some((b) => b !== s.reason) && s.state !== 'running'
      ? h(
          'ul',
          { class: 'blockers', 'aria-label': 'Why it is disabled' },
          ...s.blockers
            .filter((b) => b !== s.reason)
            .map((b) => h('li', {}, h('vscode-icon', { name: 'lock' }), ` ${b}`)),
        )
      : undefined,
    overrideForm(s),
    ...extras(s, v),
    stepActions(s),
    error && errorStep === s.id
      ? h('p', { class: 'error-text', role: 'alert', id: `${s.id}-error` }, error)
      : undefined,
    skipForm(s),
  );
}

function render() {
  const focused = wantFocus ?? document.activeElement?.id;
  root.replaceChildren();
  if (!view) {
    root.append(h('p', { class: 'muted' }, 'Loading the checklist…'));
    return;
  }
  const v = view;
  const done = v.steps.filter((s) => s.state === 'done' || s.state === 'skipped').length;
  root.append(
    h(
      'header',
      {},
      h('h1', { tabindex: '-1' }, v.title),
      h(
        'p',
        { class: 'sub' },
        `${v.projectLabel} · environment `,
        h('strong', {}, v.environment),
        v.protected
          ? h('span', { class: 'protected' }, h('vscode-icon', { name: 'shield' }), ' protected')
          : '',
        ` · ${done} of ${v.steps.length} steps done or skipped`,
      ),
      h(
        'div',
        { class: 'actions' },
        h('span', { class: 'muted' }, 'Runner:'),
        button('runner-bundled', 'Bundled CLI', () => post({ type: 'setRunner', runner: 'bundled' }), {
          secondary: v.runner !== 'bundled',
          title: 'Run the steps with the CLI bundled in this extension (prisma-rollback)',
        }),
        button(
          'runner-prisma',
          'Project Prisma CLI',
          () => post({ type: 'setRunner', runner: 'prismaCli' }),
          {
            secondary: v.runner !== 'prismaCli',
            title: "Run the steps with the project's own Prisma CLI (prisma db execute / migrate resolve)",
          },
        ),
        button('refresh', 'Refresh', () => post({ type: 'refresh' }), { icon: 'refresh', secondary: true }),
        button('audit', 'Audit log', () => post({ type: 'open', target: 'auditLog' }), {
          icon: 'output',
          secondary: true,
          title: `Open ${v.auditLog}`,
        }),
      ),
      error && !errorStep ? h('p', { class: 'error-text', role: 'alert' }, error) : undefined,
    ),
    h('ol', { class: 'steps', 'aria-label': 'Rollback steps' }, ...v.steps.map((s) => stepItem(s, v))),
  );
  if (focused) focusById(focused);
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = parseHostMessage(e.data);
  if (!m) return;
  if (m.type === 'state') {
    const before = view ? new Map(view.steps.map((s) => [s.id, s.state])) : undefined;
    view = m.view;
    error = undefined;
    save();
    render();
    moveFocus(view);
    if (before) {
      const changed = view.steps.filter((s) => before.get(s.id) !== s.state);
      if (changed.length)
        live.textContent = changed.map((s) => `${s.title}: ${STATE_ICON[s.state].label}`).join('. ');
    }
  } else if (m.type === 'error') {
    error = m.message;
    errorStep = lastStep && view?.steps.some((s) => s.id === lastStep) ? lastStep : undefined;
    focusAfter = undefined;
    render();
    live.textContent = m.message;
  }
});

render();
post({ type: 'ready' });
