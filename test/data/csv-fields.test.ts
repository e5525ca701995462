import { describe, expect, it } from 'vitest';
import { csvRecords } from '../../training/data/csv-fields.js';

const read = (text: string) => [...csvRecords(text, 'x.csv')].map((r) => [r.line, r.fields]);

describe('csvRecords (RFC 4180)', () => {
  it.each([
    ['plain LF', 'a,b,c\n1,2,3\n', [[1, ['a', 'b', 'c']], [2, ['1', '2', '3']]]],
    ['CRLF, no final line break', 'a,b\r\n1,2', [[1, ['a', 'b']], [2, ['1', '2']]]],
    ['quoted comma', '1,"x, y",3\r\n', [[1, ['1', 'x, y', '3']]]],
    ['doubled quotes', '"say ""hi""",2\n', [[1, ['say "hi"', '2']]]],
    ['quoted line break counts lines', 'id,name\n1,"two\r\nlines"\n2,z\n', [[1, ['id', 'name']], [2, ['1', 'two\r\nlines']], [4, ['2', 'z']]]],
    ['empty fields and a trailing comma', 'a,,\n,b,\n', [[1, ['a', '', '']], [2, ['', 'b', '']]]],
    ['empty quoted field', '"",x\n', [[1, ['', 'x']]]],
    ['blank lines are skipped', 'a\n\r\n\nb\n', [[1, ['a']], [4, ['b']]]],
    ['BOM dropped', '\uFEFFappid,name\n', [[1, ['appid', 'name']]]],
    ['a bare quote inside an unquoted field is literal', '5" Floppy,x\n', [[1, ['5" Floppy', 'x']]]],
    ['a CR inside an unquoted field before a comma stays', 'a\r,b\n', [[1, ['a\r', 'b']]]],
    ['quoted field closing at end of input after CR', '"a"\r', [[1, ['a']]]],
  ])('%s', (_name, text, expected) => {
    expect(read(text)).toEqual(expected);
  });

  it('keeps the raw text of each record for messages', () => {
    expect([...csvRecords('a,"b\nc"\r\nd\n', 'x.csv')].map((r) => r.text)).toEqual(['a,"b\nc"', 'd']);
  });

  it('an unterminated quote names the line the record starts on', () => {
    expect(() => read('a,b\n1,"open\nstill open\n')).toThrow('x.csv line 2: unterminated double quote: "1,\\"open" (a field that starts with " must end with "; write a quote inside it as "")');
  });

  it('text after a closing quote is an error naming its line', () => {
    expect(() => read('a\n"x"y,2\n')).toThrow(/^x\.csv line 2: unexpected "y" after a closing double quote: "\\"x\\"y,2"/);
  });
});
