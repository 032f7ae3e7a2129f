/**
 * The panel's state and how host messages change it. Pure functions over plain data: the webview
 * saves this object with `setState` (so it survives being hidden and reloads) and renders from it.
 */
import { MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, PHASE_LABELS, type ChatTurn, type OcrResult, type PixelDiff, type Region } from '../src/protocol/engine';
import type { FindResult } from '../src/protocol/findBoxes';
import type { PresetName } from '../src/protocol/options';
import { TASK_LABELS, type Task } from '../src/protocol/tasks';
import {
  clipText,
  MAX_HISTORY_CHARS,
  MAX_SAVED_TURN_CHARS,
  MAX_SAVED_TURNS,
  type InsertTargets,
  type ModelStatus,
  type PanelAction,
  type ParsedHostToWebview,
  type SavedTurn,
} from '../src/protocol/webview';

/** A finished turn; the same shape the host keeps per image (SavedTurnSchema). */
export type Turn = SavedTurn;

/** The answer being produced right now. Times are milliseconds since it was asked. */
export interface PendingAnswer {
  requestId?: string;
  task: Task;
  text: string;
  tokens: number;
  phase?: string;
  /** `Date.now()` when it was asked; elapsed times are measured from here. */
  askedAt: number;
  firstTokenMs?: number;
  stopping?: boolean;
}

export interface AnswerStats {
  tokens: number;
  tokensPerSecond: number;
  firstTokenMs: number;
  totalMs: number;
  cancelled: boolean;
  cutAtTokens?: number;
  imageTokens?: number;
  ocrMs?: number;
}

/** One presentation for every error, shown next to what failed: the image, or the answer. */
export interface PanelError {
  message: string;
  actions: PanelAction[];
  at: 'image' | 'answer';
}

/** The image as the saved state keeps it: the host holds the bytes, the webview an id and a thumbnail. */
export interface ShownImage {
  id: string;
  name: string;
  origin: string;
  /** sha256 of the bytes: the host keeps this picture's conversation under it. */
  hash?: string;
  /** A small data URL made from the full image once it was shown (webview-ui/thumbnail.ts). */
  thumbnail?: string;
  /** A smaller one, shown beside the first question asked about this image. */
  icon?: string;
}

export interface PanelState {
  image: ShownImage | null;
  imageSize?: { width: number; height: number };
  turns: Turn[];
  pending?: PendingAnswer;
  lastStats?: AnswerStats;
  error?: PanelError;
  notice?: { level: 'info' | 'error'; text: string };
  /** Recognised lines of the current image, drawn over the preview. */
  ocr?: OcrResult;
  /** The boxes the latest Find answer gave, drawn over the preview (numbered as its list). */
  found?: FindResult;
  /** The part of the image the next questions are about, in its pixels; unset: the whole image. */
  region?: Region;
  /** The image questions compare the first with (the host holds its bytes; not kept across a reload). */
  second?: { id: string; name: string; origin: string };
  secondSize?: { width: number; height: number };
  /** Where the two images differ (the latest comparison's pixel diff), in the first's pixels. */
  changes?: PixelDiff;
  /** This chat's own choice; undefined follows the `loupe.preset` setting (never written from here). */
  preset?: PresetName;
  draft: string;
  modelStatus?: ModelStatus;
  targets: InsertTargets;
  isMac: boolean;
  /** An answer ended here without the host's word (stopUnconfirmed): its late messages are ignored. */
  ignoredRequestId?: string;
  /** The turns New conversation cleared, until Undo or the next question. */
  cleared?: Turn[];
}

export function initialState(): PanelState {
  return { image: null, turns: [], draft: '', targets: { hasSelection: false }, isMac: false };
}

/** The preset the next question uses: this chat's choice, else the setting. */
export function effectivePreset(state: Pick<PanelState, 'preset' | 'modelStatus'>): PresetName {
  return state.preset ?? state.modelStatus?.preset ?? 'balanced';
}

/** A saved state from an older or damaged session is replaced rather than trusted. */
export function restoreState(saved: unknown): PanelState {
  if (!saved || typeof saved !== 'object') return initialState();
  const state = { ...initialState(), ...(saved as Partial<PanelState>) };
  if (!Array.isArray(state.turns)) return initialState();
  // Older versions saved the whole image and no id: the host cannot send it back, so it is gone.
  if (state.image && typeof state.image.id !== 'string') return { ...initialState(), preset: state.preset };
  // A stream cannot survive a reload on its own; the host sends a snapshot if it is still running.
  // The host keeps no second image across a reload: the comparison goes with it.
  return { ...state, pending: state.pending && { ...state.pending, stopping: false }, second: undefined, secondSize: undefined, changes: undefined };
}

/**
 * The turns sent as history with a new question about the image `imageHash`: the thread since the
 * last task chip (a chip's answer starts a fresh prompt for the model, while the earlier turns stay
 * on screen) and since the last question about another image (the model sees only this one).
 */
function threadOf(turns: readonly Turn[], imageHash?: string): ChatTurn[] {
  let start = 0;
  turns.forEach((turn, i) => {
    if (turn.role !== 'user') return;
    if (turn.image && imageHash && turn.image.hash !== imageHash) start = i + 2;
    else if (startsThread(turn)) start = i;
  });
  return turns.slice(start).map(({ role, text, task }) => ({ role, text, task }));
}

/** A task chip's turn (its question empty, or Find's words) and a comparison start a thread; a question, or Continue of a task, follows one. */
function startsThread(turn: Turn): boolean {
  return turn.task === 'find' || turn.comparedWith !== undefined || (turn.task !== 'question' && !turn.question);
}

/** The image the latest question was about, if it said. */
function lastAskedImage(turns: readonly Turn[]): Turn['image'] {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i]!.role === 'user') return turns[i]!.image;
  return undefined;
}

/** The opening turn carries the image and the task: kept, but within a share of the budget. */
const OPENING_TURN_CHARS = MAX_HISTORY_CHARS / 4;
/** Room too small to be worth a clipped turn: the turn is left out instead. */
const MIN_CLIPPED_CHARS = 500;

/**
 * The thread as a follow-up sends it: each turn within the protocol's limit, and the whole within
 * MAX_HISTORY_CHARS, the newest turns first; older ones are clipped or left out, and the opening
 * turn (the image and the task the thread began with) stays. Says how much was trimmed.
 */
export function fitHistory(thread: readonly ChatTurn[]): { history: ChatTurn[]; trimmed?: { leftOut: number; clipped: number } } {
  const [opening, ...rest] = thread;
  if (!opening) return { history: [] };
  const first = clipTurn(opening, OPENING_TURN_CHARS);
  let room = MAX_HISTORY_CHARS - first.text.length;
  const kept: ChatTurn[] = [];
  for (const turn of [...rest].reverse()) {
    if (kept.length === MAX_HISTORY_TURNS - 1 || (turn.text.length > room && room < MIN_CLIPPED_CHARS)) break;
    const fitted = clipTurn(turn, Math.min(room, MAX_QUESTION_CHARS));
    kept.unshift(fitted);
    room -= fitted.text.length;
  }
  // The opening question is followed by an answer, as the model's chat format has it.
  if (kept[0]?.role === 'user') kept.shift();
  const history = [first, ...kept];
  const leftOut = thread.length - history.length;
  const clipped = history.filter((turn) => !thread.includes(turn)).length;
  return leftOut || clipped ? { history, trimmed: { leftOut, clipped } } : { history };
}

function clipTurn(turn: ChatTurn, max: number): ChatTurn {
  return turn.text.length <= max ? turn : { ...turn, text: clipText(turn.text, max) };
}

/** The turns as the host keeps them: the newest within the protocol's count, long texts clipped. */
export function turnsForSaving(turns: readonly Turn[]): Turn[] {
  return turns.slice(-MAX_SAVED_TURNS).map((turn) => (turn.text.length <= MAX_SAVED_TURN_CHARS ? turn : { ...turn, text: clipText(turn.text, MAX_SAVED_TURN_CHARS) }));
}

/**
 * What the user asked, as the turn shown and the request sent. Every ask is a new turn below the
 * earlier ones. A task chip starts a new thread for the model and leaves what is typed in the box
 * alone; a free question follows up on the current thread and takes the box's text; a task with
 * words (Continue of an alt text) follows up within that task, with its limits and label.
 */
export function beginAsk(
  state: PanelState,
  task: Task,
  question: string,
  now: number,
  region = state.region,
): { state: PanelState; history: ChatTurn[] } | undefined {
  if (state.pending || !state.image) return undefined;
  const { hash, name, icon } = state.image;
  // A task with words is a follow-up within it (Continue on an alt text): its thread, its limits, its
  // label. Find's words are what to look for, and its answer a list of boxes: always a thread of its own.
  const comparing = task === 'question' && state.second !== undefined;
  const followsUp = !comparing && (task === 'question' || (task !== 'find' && question.trim() !== ''));
  const { history, trimmed } = fitHistory(followsUp ? threadOf(state.turns, hash) : []);
  const shown = followsUp || comparing ? question.trim() : task === 'find' ? `${TASK_LABELS.find}: ${question.trim()}` : TASK_LABELS[task];
  // The first question about an image shows it; later ones about the same image just name it.
  const firstAbout = lastAskedImage(state.turns)?.hash !== hash;
  const image = hash ? { name, hash, ...(firstAbout && icon ? { icon } : {}) } : undefined;
  const turn: Turn = {
    role: 'user',
    text: shown,
    task,
    question: followsUp || comparing || task === 'find' ? question.trim() : '',
    ...(image ? { image } : {}),
    ...(region && !comparing && { region }),
    ...(comparing && { comparedWith: { name: state.second!.name } }),
  };
  return {
    history,
    state: {
      ...state,
      turns: [...state.turns, trimmed ? { ...turn, historyTrimmed: trimmed } : turn],
      pending: { task, text: '', tokens: 0, askedAt: now },
      // What was typed and sent leaves the box; Continue or a chip leaves what is typed there.
      draft: question.trim() && question.trim() === state.draft.trim() ? '' : state.draft,
      error: undefined,
      notice: undefined,
      lastStats: undefined,
      cleared: undefined,
    },
  };
}

/** Retry the latest answer: its question comes off the list, to be asked again as it was (about the same image). */
export function retryLast(state: PanelState): { state: PanelState; task: Task; question: string; region?: Region } | undefined {
  const answer = state.turns.at(-1);
  const asked = state.turns.at(-2);
  if (state.pending || answer?.role !== 'assistant' || asked?.role !== 'user') return undefined;
  if (asked.image && asked.image.hash !== state.image?.hash) return undefined;
  // A comparison asked again about one image, or a question about one image asked as a comparison, is another question.
  if (!!asked.comparedWith !== !!state.second) return undefined;
  return { state: { ...state, turns: state.turns.slice(0, -2) }, task: asked.task, question: asked.question ?? (asked.task === 'question' ? asked.text : ''), region: asked.region };
}

function newConversation(state: PanelState): PanelState {
  return { ...state, turns: [], pending: undefined, error: undefined, notice: undefined, lastStats: undefined, ocr: undefined, found: undefined, changes: undefined, cleared: undefined };
}

/** New conversation, as the user asked for it: what it clears can be brought back (undoClear). */
export function clearConversation(state: PanelState): PanelState {
  const { turns } = settlePending(state);
  if (!turns.length) return newConversation(state);
  const questions = turns.filter((turn) => turn.role === 'user').length;
  return { ...newConversation(state), cleared: turns, notice: { level: 'info', text: `Started a new conversation. Undo brings back the last one (${questions} ${questions === 1 ? 'question' : 'questions'}).` } };
}

/**
 * The turns as they stand when an answer under way is abandoned (its image changed, the chat was
 * cleared): what arrived is kept as a stopped answer, else its question goes, so no question is
 * left without an answer (the model's chat format alternates the two).
 */
function settlePending(state: PanelState): PanelState {
  const pending = state.pending;
  if (!pending) return state;
  if (pending.text) return { ...state, pending: undefined, turns: [...state.turns, { role: 'assistant', text: pending.text, task: pending.task, outcome: 'stopped' }] };
  return { ...state, pending: undefined, turns: state.turns.at(-1)?.role === 'user' ? state.turns.slice(0, -1) : state.turns };
}

export function undoClear(state: PanelState): PanelState {
  if (!state.cleared || state.pending) return state;
  return { ...state, turns: [...state.cleared, ...state.turns], cleared: undefined, notice: undefined };
}

/** A new image, or none: the conversation goes on (its next question shows the image); only what was about the old one ends. */
function withImage(state: PanelState, image: ShownImage | null): PanelState {
  return { ...settlePending(state), image, imageSize: undefined, error: undefined, notice: undefined, lastStats: undefined, ocr: undefined, found: undefined, region: undefined, changes: undefined };
}

/** Applies one validated host message. `now` is `Date.now()`, passed in so tests control time. */
export function applyHostMessage(state: PanelState, message: ParsedHostToWebview, now: number): PanelState {
  switch (message.type) {
    case 'init': {
      const next = { ...state, modelStatus: message.modelStatus, targets: message.targets, isMac: message.isMac };
      const waiting = state.pending;
      if (!waiting || (waiting.requestId !== undefined && waiting.requestId === message.activeRequestId)) return next;
      // The answer this webview was showing no longer exists (VS Code reloaded meanwhile): keep what arrived.
      return { ...settlePending(next), notice: { level: 'info', text: 'The answer was interrupted; ask again to continue.' } };
    }
    case 'modelStatus':
      return { ...state, modelStatus: message.modelStatus };
    case 'targets':
      return { ...state, targets: message.targets };
    case 'image': {
      // The same image again: the bytes a recreated webview asked for.
      if (state.image?.id === message.image?.id) return state;
      // The host cancels an answer about the previous image; its late messages no longer match.
      const image = message.image && { id: message.image.id, name: message.image.name, origin: message.image.origin, hash: message.image.hash };
      // An empty chat takes the conversation kept for this picture (shown here before, or in the other chat).
      const next = withImage(state, image);
      return next.turns.length || !message.conversation ? next : { ...next, turns: message.conversation };
    }
    case 'secondImage': {
      if (state.second?.id === message.image?.id) return state;
      const second = message.image ? { id: message.image.id, name: message.image.name, origin: message.image.origin } : undefined;
      // Two whole images are compared: a region of the first would not say which part of the second.
      return { ...state, second, secondSize: undefined, changes: undefined, region: second ? undefined : state.region };
    }
    case 'changes': {
      if (!isCurrent(state, message.requestId)) return state;
      const shown = { ...state, changes: message.diff, found: undefined, ocr: undefined };
      if (message.answer === undefined) return shown;
      // Nothing changed: that is the answer, and the model was not asked.
      return { ...shown, pending: undefined, lastStats: undefined, turns: [...state.turns, { role: 'assistant', text: message.answer, task: state.pending!.task, outcome: 'done' }] };
    }
    case 'imageRefused':
      return { ...withImage(state, null), error: { message: message.message, actions: message.actions, at: 'image' } };
    case 'focusQuestion':
    case 'openReader':
      return state;
    case 'started':
      if (!state.pending || message.requestId === state.ignoredRequestId) return state;
      return { ...state, pending: { ...state.pending, requestId: message.requestId } };
    case 'progress':
      if (!isCurrent(state, message.requestId)) return state;
      return { ...state, pending: { ...state.pending!, phase: message.phase } };
    case 'token': {
      if (!isCurrent(state, message.requestId)) return state;
      const pending = state.pending!;
      return {
        ...state,
        pending: {
          ...pending,
          text: pending.text + message.text,
          // The engine numbers a piece by how many tokens were generated up to it.
          tokens: Math.max(pending.tokens, message.index),
          firstTokenMs: pending.firstTokenMs ?? now - pending.askedAt,
          phase: 'generating',
        },
      };
    }
    case 'snapshot':
      return {
        ...state,
        pending: {
          requestId: message.requestId,
          task: message.task,
          text: message.text,
          tokens: message.tokens,
          askedAt: now - message.elapsedMs,
          firstTokenMs: message.firstTokenMs,
          phase: 'generating',
        },
      };
    case 'done': {
      if (!isCurrent(state, message.requestId)) return state;
      const { stats } = message;
      const pending = state.pending!;
      const cutAtTokens = message.cancelled ? undefined : message.cutAtTokens;
      return {
        ...state,
        pending: undefined,
        turns: [...state.turns, { role: 'assistant', text: message.text, task: pending.task, outcome: message.cancelled ? 'stopped' : 'done', cutAtTokens }],
        // One set of boxes over the preview at a time: the latest Find's, OCR's or comparison's.
        ...(message.find && { found: message.find, ocr: undefined, changes: undefined }),
        lastStats: {
          tokens: stats.generatedTokens,
          tokensPerSecond: stats.tokensPerSecond,
          // The figure shown while streaming (asked -> first token seen, as the user waited for it);
          // the engine's own counts from the start of decoding only, after loading and image encoding.
          // Total is measured the same way, so it is never shorter than the first token.
          firstTokenMs: pending.firstTokenMs ?? stats.timeToFirstTokenMs,
          totalMs: now - pending.askedAt,
          cancelled: message.cancelled,
          cutAtTokens,
          imageTokens: stats.imageTokens,
          ocrMs: stats.ocrMs,
        },
      };
    }
    case 'ocrDone':
      if (!isCurrent(state, message.requestId)) return state;
      return {
        ...state,
        pending: undefined,
        ocr: message.result,
        found: undefined,
        changes: undefined,
        turns: [...state.turns, { role: 'assistant', text: message.result.text, task: state.pending!.task, outcome: 'ocr' }],
        lastStats: undefined,
      };
    case 'failed': {
      const error: PanelError = { message: message.message, actions: message.actions, at: 'answer' };
      if (message.requestId !== undefined && !isCurrent(state, message.requestId)) return state;
      if (!state.pending) return { ...state, error };
      if (message.code === 'CANCELLED') return { ...unasked(state), notice: { level: 'info', text: 'Stopped.' } };
      return { ...unasked(state), error };
    }
    case 'notice':
      return { ...state, notice: { level: message.level, text: message.text } };
    case 'refused': {
      const error: PanelError = { message: message.message, actions: [], at: 'answer' };
      // A refused question never started: nothing else will end the wait for it.
      if (message.of === 'ask' && state.pending?.requestId === undefined) return { ...unasked(state), error };
      return { ...state, error };
    }
  }
}

/**
 * The pending answer is given up without an answer turn. The question goes back into the box
 * (unless something else was typed meanwhile), so trying again is one key press.
 */
function unasked(state: PanelState): PanelState {
  const lastUser = state.turns.at(-1);
  const turns = lastUser?.role === 'user' ? state.turns.slice(0, -1) : state.turns;
  const draft = lastUser?.role === 'user' && lastUser.task === 'question' && !state.draft.trim() ? lastUser.text : state.draft;
  return { ...state, pending: undefined, turns, draft };
}

/**
 * Stop was not confirmed in time (the host may be stuck, or may never have had the question):
 * the turn ends here with what arrived, saying so, and the answer's later messages are ignored.
 */
export function stopUnconfirmed(state: PanelState): PanelState {
  const pending = state.pending;
  if (!pending) return state;
  const notice = { level: 'info' as const, text: 'Stopped here: Loupe did not confirm the stop in time, so the answer ends with what had arrived.' };
  const ended = { ...state, ignoredRequestId: pending.requestId, notice, lastStats: undefined };
  return pending.text ? settlePending(ended) : unasked(ended);
}

/** A message belongs to the pending answer if it carries its id (or the id is not known yet). */
function isCurrent(state: PanelState, requestId: string): boolean {
  if (requestId === state.ignoredRequestId) return false;
  return !!state.pending && (state.pending.requestId === undefined || state.pending.requestId === requestId);
}

/** The live "N tokens · X tok/s · first token Y s" line (for OCR: lines found and time taken). */
export function formatReadout(state: Pick<PanelState, 'pending' | 'lastStats' | 'ocr' | 'found' | 'turns'>, now: number): string {
  const { pending, lastStats, ocr, found } = state;
  if (pending) {
    const elapsed = now - pending.askedAt;
    if (pending.firstTokenMs === undefined) return `${phaseLabel(pending.phase)} · ${seconds(elapsed)}`;
    const decodeMs = elapsed - pending.firstTokenMs;
    const rate = pending.tokens > 1 && decodeMs > 0 ? ((pending.tokens - 1) * 1000) / decodeMs : 0;
    return `${tokenCount(pending.tokens)} · ${rate.toFixed(1)} tok/s · first token ${seconds(pending.firstTokenMs)}`;
  }
  if (ocr && state.turns.at(-1)?.outcome === 'ocr') {
    return `${ocr.lines.length} ${ocr.lines.length === 1 ? 'line' : 'lines'} recognised · OCR ${seconds(ocr.ms)} · hover a box to read it, click to copy`;
  }
  if (!lastStats) return '';
  if (found && state.turns.at(-1)?.task === 'find') {
    const hint = found.boxes.length > 0 ? ' · Tab to a box or hover it for its label, Enter copies it' : '';
    return `${found.boxes.length} found · total ${seconds(lastStats.totalMs)}${lastStats.cancelled ? ' · stopped' : hint}`;
  }
  const parts = [
    tokenCount(lastStats.tokens),
    `${lastStats.tokensPerSecond.toFixed(1)} tok/s`,
    `first token ${seconds(lastStats.firstTokenMs)}`,
    `total ${seconds(lastStats.totalMs)}`,
  ];
  if (lastStats.cutAtTokens) parts.push(`cut at ${lastStats.cutAtTokens} tokens`);
  if (lastStats.cancelled) parts.push('stopped');
  return parts.join(' · ');
}

function tokenCount(tokens: number): string {
  return `${tokens} ${tokens === 1 ? 'token' : 'tokens'}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function phaseLabel(phase: string | undefined): string {
  return phase ? (PHASE_LABELS[phase as keyof typeof PHASE_LABELS] ?? phase) : 'Waiting';
}
