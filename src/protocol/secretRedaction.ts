/**
 * The one secret redactor: API keys and hub tokens never appear in a message, a log line or an
 * error, whatever a server or a proxy echoes back. Every text that carries a server's or a
 * transport's words passes here before it is shortened (a key cut in two would no longer match).
 */

/** Credentials in the shapes servers echo them: an Authorization value, OpenAI and Hugging Face key formats. */
const CREDENTIAL_SHAPES = [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, /\bsk-[A-Za-z0-9_-]{8,}/g, /\bhf_[A-Za-z0-9]{8,}/g];
/** A user name and password in a URL (a proxy's `http://user:password@host:port`). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]+@/gi;

export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join('[key]');
  }
  result = result.replace(URL_CREDENTIALS, '$1[key]@');
  for (const shape of CREDENTIAL_SHAPES) {
    result = result.replace(shape, (_match, scheme?: string) => (typeof scheme === 'string' && /^(bearer|basic)$/i.test(scheme) ? `${scheme} [key]` : '[key]'));
  }
  return result;
}
