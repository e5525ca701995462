import { DataError } from './errors.js';

/** One CSV record: its fields, the 1-based line it starts on, and its raw text (for error messages). */
export interface CsvRecord {
  fields: string[];
  line: number;
  text: string;
}

/**
 * RFC 4180 records of `text`: fields split on `,`, records on LF or CRLF; a field in double quotes may hold commas,
 * line breaks and `""` (one quote). A quote inside an unquoted field is kept as a literal character (as Python's csv
 * module does), so hand-written files with `5" Floppy` still read. A UTF-8 BOM is dropped and empty lines are skipped.
 * Malformed quoting is a DataError naming the line where the record starts.
 */
export function* csvRecords(text: string, file: string): Generator<CsvRecord> {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = i;
    const startLine = line;
    // An empty line (LF or CRLF) is not a record.
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      if (text[i] === '"') {
        let value = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            throw new DataError(file, startLine, firstLine(text, start), 'unterminated double quote',
              'a field that starts with " must end with "; write a quote inside it as ""');
          }
          value += text.slice(i, q);
          line += countNewlines(text, i, q);
          if (text[q + 1] === '"') {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        const c = text[i];
        if (i < n && c !== ',' && c !== '\n' && !(c === '\r' && text[i + 1] === '\n') && !(c === '\r' && i + 1 === n)) {
          throw new DataError(file, line, firstLine(text, start), `unexpected ${JSON.stringify(c)} after a closing double quote`,
            'quote the whole field, and write a quote inside it as ""');
        }
        fields.push(value);
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n') j++;
        const end = text[j - 1] === '\r' && (j === n || text[j] === '\n') ? j - 1 : j;
        fields.push(text.slice(i, end));
        i = end;
      }
      if (text[i] === '\r') i++;
      if (i >= n) break;
      if (text[i] === ',') {
        i++;
        if (i >= n) fields.push('');
        if (i < n) continue;
        break;
      }
      // text[i] is '\n'
      i++;
      line++;
      break;
    }
    const recordText = text.slice(start, i).replace(/\r?\n$/, '');
    yield { fields, line: startLine, text: recordText };
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let c = 0;
  for (let k = text.indexOf('\n', from); k >= 0 && k < to; k = text.indexOf('\n', k + 1)) c++;
  return c;
}

function firstLine(text: string, start: number): string {
  const nl = text.indexOf('\n', start);
  return text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, '');
}

/** Header names -> column index, for files whose columns are found by name. */
export function columnIndex(header: string[]): Map<string, number> {
  return new Map(header.map((h, i) => [h.trim().toLowerCase(), i]));
}
