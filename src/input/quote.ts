const MAX_SHOWN = 60;

/**
 * User input as it may appear inside a one-line error message: quoted, control and invisible
 * characters escaped (a newline in input must not split the message), long input cut short.
 */
export function quote(input: string): string {
  const shown = input.length > MAX_SHOWN ? input.slice(0, MAX_SHOWN) : input;
  // JSON escapes quotes, backslashes and C0 controls; the rest below are line breaks and bidi
  // controls that JSON leaves alone but a terminal would act on.
  const escaped = JSON.stringify(shown).replace(
    /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return input.length > MAX_SHOWN ? `${escaped}… (${input.length} characters)` : escaped;
}
