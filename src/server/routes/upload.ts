// The legacy upload API twine speaks: POST /legacy/ with multipart/form-data, `:action` =
// file_upload and the archive in the `content` part. The body streams to a temporary file, the
// digests the client sent are checked against it, then the file is ingested into quarantine.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PyvetError } from '../../errors.js';
import { ingestFile } from '../../repository/ingest.js';
import { parseDistributionFilename } from '../../standards/filenames.js';
import { canonicalizeName } from '../../standards/names.js';
import { Version } from '../../standards/version.js';
import { requireActor, requireRoleFirst } from '../auth.js';
import { type ServerPlugin, sendError } from '../context.js';
import { boundaryOf, DEFAULT_LIMITS, parseMultipart } from '../multipart.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** sendError also puts the error message in the HTTP reason phrase (what twine prints). */
    errorInReasonPhrase?: boolean;
  }
}

// Form field → digest name in the upload's digests. Twine sends all three.
const DIGEST_FIELDS = { sha256_digest: 'sha256', md5_digest: 'md5', blake2_256_digest: 'blake2b256' } as const;

/**
 * The form's name, version and filetype, when sent, must describe the file (Warehouse refuses a
 * mismatch too): a client that says one thing and uploads another is confused or lying, and
 * the audit log would record what it said. Ingest checks the archive against its filename.
 */
function checkFormFields(fields: Map<string, string[]>, filename: string): void {
  let file: ReturnType<typeof parseDistributionFilename>;
  try {
    file = parseDistributionFilename(filename);
  } catch {
    return; // ingest refuses the filename, with its own code
  }
  const mismatch = (field: string, sent: string, actual: string) =>
    new PyvetError('UPLOAD_FIELDS_MISMATCH', 'invalid', `${filename}: the form's ${field} '${sent}' does not match the file (${actual})`, {
      filename,
      field,
      sent,
    });
  const name = fields.get('name')?.[0]?.trim();
  if (name && canonicalizeName(name) !== file.name) throw mismatch('name', name, file.name);
  const version = fields.get('version')?.[0]?.trim();
  if (version) {
    const v = Version.tryParse(version);
    if (v?.compare(file.version) !== 0) throw mismatch('version', version, file.version.toString());
  }
  const filetype = fields.get('filetype')?.[0]?.trim();
  const expected = file.kind === 'wheel' ? 'bdist_wheel' : 'sdist';
  if (filetype && filetype !== expected) throw mismatch('filetype', filetype, expected);
}

/** Uploads are multipart/form-data, whatever else a client sends (JSON, a urlencoded form): 415. */
async function multipartOnly(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const type = request.headers['content-type'];
  if (type !== undefined && /^multipart\/form-data\s*(;|$)/i.test(type)) return undefined;
  const sent = type === undefined ? 'no Content-Type' : JSON.stringify(type.split(';')[0]!.trim());
  const err = new PyvetError('UPLOAD_MEDIA_TYPE_UNSUPPORTED', 'invalid', `uploads are sent as multipart/form-data (as twine does), not ${sent}`, {
    contentType: type ?? null,
  });
  return sendError(reply, err, 415);
}

export const uploadRoutes: ServerPlugin = (app, { repo }) => {
  // Leave the body unread: the handler streams it through the multipart parser.
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null));

  const upload = async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = await requireActor(repo, request, 'publisher', 'upload files');
    const boundary = boundaryOf(request.headers['content-type']);
    // Under the data directory, so that the blob store takes the file over by rename.
    const uploads = join(repo.config.data_dir, 'tmp', 'upload');
    await mkdir(uploads, { recursive: true });
    const dir = await mkdtemp(join(uploads, 'u-'));
    try {
      const { fields, file } = await parseMultipart(request.raw, boundary, dir, {
        ...DEFAULT_LIMITS,
        maxFileBytes: repo.config.limits.max_file_bytes,
      });
      const action = fields.get(':action')?.[0];
      if (action !== 'file_upload') {
        throw new PyvetError('UPLOAD_ACTION_INVALID', 'invalid', `unsupported :action ${JSON.stringify(action ?? null)}: only file_upload is`, {
          action: action ?? null,
        });
      }
      if (!file) throw new PyvetError('UPLOAD_NO_FILE', 'invalid', "the upload has no 'content' file part");
      const { digests } = file;
      let promised = 0;
      for (const [field, key] of Object.entries(DIGEST_FIELDS)) {
        // Every value sent is a promise: two different ones cannot both hold, whichever is checked.
        const values = new Set((fields.get(field) ?? []).map((v) => v.trim().toLowerCase()).filter((v) => v !== ''));
        if (values.size > 1) {
          throw new PyvetError('DIGEST_CONFLICT', 'invalid', `${file.filename}: the form gives ${field} ${values.size} different values`, {
            filename: file.filename,
            field,
            sent: [...values],
          });
        }
        const [sent] = values;
        if (!sent) continue;
        promised++;
        if (sent !== digests[key]) {
          throw new PyvetError('DIGEST_MISMATCH', 'invalid', `${file.filename}: ${field} ${sent} does not match the uploaded bytes (${digests[key]})`, {
            filename: file.filename,
            field,
            sent,
            actual: digests[key],
          });
        }
      }
      checkFormFields(fields, file.filename);
      if (promised === 0) {
        throw new PyvetError('DIGEST_MISSING', 'invalid', `${file.filename}: send sha256_digest (or md5_digest) with the file`, {
          filename: file.filename,
        });
      }
      const result = await ingestFile(repo, file.path, {
        actor,
        origin: `upload:${actor.name}`,
        filename: file.filename,
        expectedSha256: digests.sha256,
        // The temp file is ours alone: the blob store adopts it, and its digests were taken while it was written.
        consume: true,
        digests,
      });
      request.log.info({ filename: file.filename, created: result.created, by: actor.name }, 'upload');
      return reply.send(result);
    } catch (err) {
      // Whatever the archive's error kind (invalid or integrity), a bad upload is a bad request.
      if (err instanceof PyvetError && (err.kind === 'invalid' || err.kind === 'integrity')) return sendError(reply, err, 400);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  // Who uploads is settled before the body is read or its type looked at.
  const onRequest = [requireRoleFirst(repo, 'publisher', 'upload files'), multipartOnly];
  const config = { errorInReasonPhrase: true };
  app.post('/legacy/', { onRequest, config }, upload);
  app.post('/legacy', { onRequest, config }, upload);
};
