/**
 * Web entry of the print plugin: the record page's print menu (documents and labels, with the batch's label
 * reconciliation) and the template editor page (menu item `print/TemplateEditor`).
 */
import PrintActions from './PrintActions';
import TemplateEditor from './TemplateEditor';

export { TemplateEditor };
export const pages = { TemplateEditor };
export const recordActions = [PrintActions];
export default TemplateEditor;
