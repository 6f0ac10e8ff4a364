/**
 * The one date format on screen: the user's locale, with the time zone named
 * (`Nov 17, 2025, 02:03:09 PM UTC` in en-US, `17 nov. 2025, 15:03:09 UTC+1` in fr-FR).
 * No imports, so the checklist webview bundles it too: tree tooltips, the checklist, the CLI's
 * human output and the webview all call this one function.
 */

/** Where a time is shown: the user's locale and zone unless a test names them. */
export interface TimeFormatOptions {
  /** BCP 47 locale; undefined = the runtime's (the user's) locale. */
  locale?: string;
  /** IANA zone (`Europe/Paris`); undefined = the runtime's zone. */
  timeZone?: string;
}

/**
 * A moment in the user's locale with its zone. Accepts a Date or an ISO string; an unparsable
 * string comes back as given (never throws). Intl refuses dateStyle/timeStyle together with
 * timeZoneName, so the fields are named one by one (ECMA-402, `CreateDateTimeFormat`).
 */
export function formatDateTime(at: Date | string, o: TimeFormatOptions = {}): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return String(at);
  return d.toLocaleString(o.locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
    ...(o.timeZone ? { timeZone: o.timeZone } : {}),
  });
}
