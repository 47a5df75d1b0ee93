import { SECURITY_MIGRATIONS } from './security-migrations.js';
import { RETENTION_MIGRATIONS } from './retention-migrations.js';
import { OUTBOX_MIGRATIONS } from './outbox-migrations.js';
import { CAMERA_MIGRATIONS } from './camera-migrations.js';

/** A named schema change. Names are unique and never reused; order in MIGRATIONS is the apply order. */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/** Each module of the catalog appends its migrations here (a new entry per change, never an edit). */
export const MIGRATIONS: readonly Migration[] = [...SECURITY_MIGRATIONS, ...RETENTION_MIGRATIONS, ...OUTBOX_MIGRATIONS, ...CAMERA_MIGRATIONS];
