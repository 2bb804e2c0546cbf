import { execFileSync } from 'node:child_process';

/** Validates an OpenAPI document with @seriousme/openapi-schema-validator (ESM-only: run in a plain node process). */
export function validateOpenApi(doc: unknown): { valid: boolean; version: string; errors?: unknown } {
  const script = `import {Validator} from '@seriousme/openapi-schema-validator';
    let s='';process.stdin.on('data',c=>s+=c).on('end',async()=>{const v=new Validator();const r=await v.validate(JSON.parse(s));
    console.log(JSON.stringify({valid:r.valid,version:v.version,errors:r.errors}));});`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(doc), cwd: process.cwd() }).toString());
}
