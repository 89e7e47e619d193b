import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Services } from "./services.js";

/** Backups of the running server (server admins). */
export function backupRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/api/v1/admin/backup",
      {
        schema: {
          tags: ["admin"],
          summary: "A consistent copy of the embedded database, as a gzipped tar (server admins; without the root key). On PostgreSQL: 409, use pg_dump",
          // No options yet: an empty body or none; anything else is refused by name.
          body: z.strictObject({}).nullish(),
        },
      },
      async (req, reply) => {
        const file = await s.backup.create(req.ctx);
        return reply.type("application/gzip").header("content-disposition", `attachment; filename="${file.filename}"`).header("cache-control", "no-store").send(Buffer.from(file.bytes));
      },
    );
  };
}
