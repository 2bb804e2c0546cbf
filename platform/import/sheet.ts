import ExcelJS from 'exceljs';
import { AppError } from '../errors';

/** The first visible worksheet of an uploaded workbook; a file that is not one is a 400 the wizard shows on the file. */
export async function readSheet(buf: Buffer): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as any);
  } catch {
    throw new AppError(400, 'BAD_REQUEST', 'import.badFile', {}, [{ path: '', messageKey: 'import.badFile' }]);
  }
  const ws = wb.worksheets.find((w) => w.state !== 'hidden');
  if (!ws) throw new AppError(400, 'BAD_REQUEST', 'import.badFile', {}, [{ path: '', messageKey: 'import.badFile' }]);
  return ws;
}

/** A cell's value as a person typed it: formula results, rich text and hyperlinks as their text, dates as ISO. */
export function cellText(v: any): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    if ('result' in v) return cellText(v.result);
    if ('richText' in v) return v.richText.map((x: any) => x.text).join('').trim();
    if ('text' in v) return String(v.text).trim();
    return '';
  }
  return String(v).trim();
}
