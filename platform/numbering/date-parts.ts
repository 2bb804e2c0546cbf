export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface DateParts {
  year: string;
  month: string;
  day: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Calendar date of an instant in a time zone. */
export function datePartsIn(date: Date, timeZone: string): DateParts {
  const parts = formatter(timeZone).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { year: get('year').padStart(4, '0'), month: get('month'), day: get('day') };
}

export const DATE_TOKEN = /YYYY|YY|MM|DD|[-_./ ]/g;

/** Renders a format of YYYY YY MM DD tokens; `keep` drops tokens it rejects (used for counter keys). */
export function formatDate(parts: DateParts, format: string, keep: (token: string) => boolean = () => true): string {
  return (format.match(DATE_TOKEN) ?? [])
    .filter(keep)
    .map((t) => {
      switch (t) {
        case 'YYYY':
          return parts.year;
        case 'YY':
          return parts.year.slice(-2);
        case 'MM':
          return parts.month;
        case 'DD':
          return parts.day;
        default:
          return t;
      }
    })
    .join('');
}
