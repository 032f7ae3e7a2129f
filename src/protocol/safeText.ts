/**
 * Text from a model or a server is untrusted (an image can carry instructions, a server can be
 * hostile). Before it reaches a terminal or is written into a document it loses what can act
 * instead of read: escape sequences (OSC 52 writes the clipboard, OSC 0 the window title, CSI
 * recolours or moves the cursor), every other C0 and C1 control but newline and tab, bidi
 * overrides and embeddings (U+202A-U+202E, U+2066-U+2069, which reorder what is shown), and
 * invisible spaces (U+200B, U+2060, U+FEFF, U+180E). Joiners (U+200C, U+200D) and the
 * left-to-right and right-to-left marks stay: Persian, Indic scripts, emoji and mixed-direction
 * text need them, so the text stays readable in every language.
 */

// ESC-introduced sequences (CSI, OSC, DCS, APC, PM, SOS and two-byte escapes) and their 8-bit forms.
const ESCAPE_SEQUENCE =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|\u001b[ -/]*[0-~]|\u009b[0-?]*[ -/]*[@-~]|[\u0090\u009d\u009e\u009f][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const DISPLAY_TRICKS = /[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff\u180e]/g;

export function safeText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROLS, '').replace(DISPLAY_TRICKS, '');
}

const MAX_HELD = 4096;
const CSI_START = /^(?:\u001b\[|\u009b)/;
const CSI = /^(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]/;
const STRING_START = /^(?:\u001b[\]PX^_]|[\u0090\u009d\u009e\u009f])/;
const STRING = /^(?:\u001b[\]PX^_]|[\u0090\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)/;
const SHORT = /^\u001b[ -/]*[0-~]/;

/** Whether `tail`, starting at an escape, is a sequence whose end has not arrived yet. */
function unfinished(tail: string): boolean {
  if (CSI_START.test(tail)) return !CSI.test(tail);
  // A string sequence's terminator (ESC \\) starts with an escape too: the tail is then just that.
  if (STRING_START.test(tail)) return !STRING.test(tail);
  return !SHORT.test(tail);
}

/**
 * For text that arrives in pieces (a streamed answer): a sequence cut between two pieces is held
 * back until it is complete, so no piece lets one through.
 */
export class SafeTextStream {
  private pending = '';

  push(piece: string): string {
    const text = this.pending + piece;
    // Only a sequence still unfinished at the end waits for the next piece (and not forever).
    const last = text.search(/[\u001b\u009b\u0090\u009d\u009e\u009f][^\u001b\u009b\u0090\u009d\u009e\u009f]*$/);
    const holdFrom = last >= 0 && text.length - last < MAX_HELD && unfinished(text.slice(last)) ? last : text.length;
    this.pending = text.slice(holdFrom);
    return safeText(text.slice(0, holdFrom));
  }

  flush(): string {
    const rest = safeText(this.pending);
    this.pending = '';
    return rest;
  }
}
