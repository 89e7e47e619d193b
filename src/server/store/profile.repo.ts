import type { Kysely, Selectable } from "kysely";
import type { AcmeConfig, EstConfig, CertificateProfilesTable, CertificateTemplatesTable, Database } from "./schema.js";

export type TemplateRow = Selectable<CertificateTemplatesTable>;
export type ProfileRow = Selectable<CertificateProfilesTable>;

/** A profile's settings as the API changes them. */
interface ProfileSettings {
  slug: string;
  description: string;
  templateId: string;
  caId: string | null;
  enrollmentMethods: string[];
  defaults: Record<string, unknown>;
  apiConfig: { autoRenew: boolean; renewBeforeDays: number | null };
  acmeConfig: AcmeConfig | null;
}

/** The columns of a profile's settings, jsonb as JSON text (one mapping for insert and update). */
function profileColumns(p: ProfileSettings) {
  return {
    slug: p.slug,
    description: p.description,
    template_id: p.templateId,
    ca_id: p.caId,
    enrollment_methods: JSON.stringify(p.enrollmentMethods),
    defaults: JSON.stringify(p.defaults),
    api_config: JSON.stringify(p.apiConfig),
    acme_config: p.acmeConfig ? JSON.stringify(p.acmeConfig) : null,
    updated_at: new Date(),
  };
}

/** Certificate templates and the profiles built on them. */
export function profileRepo(db: Kysely<Database>) {
  return {
    /** Inserts a template. */
    async insertTemplate(t: { id: string; projectId: string; name: string; description: string; rules: unknown }) {
      await db.insertInto("certificate_templates").values({ id: t.id, project_id: t.projectId, name: t.name, description: t.description, rules: JSON.stringify(t.rules), updated_at: new Date() }).execute();
    },
    /** A template by id. */
    templateById: (id: string) => db.selectFrom("certificate_templates").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A project's templates. */
    templatesOf: (projectId: string) => db.selectFrom("certificate_templates").selectAll().where("project_id", "=", projectId).orderBy("created_at").orderBy("id").execute(),
    /** Replaces a template's fields. */
    async updateTemplate(id: string, t: { name: string; description: string; rules: unknown }) {
      await db.updateTable("certificate_templates").set({ name: t.name, description: t.description, rules: JSON.stringify(t.rules), updated_at: new Date() }).where("id", "=", id).execute();
    },
    /** Deletes a template. */
    async deleteTemplate(id: string) {
      await db.deleteFrom("certificate_templates").where("id", "=", id).execute();
    },

    /** Inserts a profile. */
    async insertProfile(p: ProfileSettings & { id: string; projectId: string; issuerType: "ca" | "self-signed" }) {
      await db
        .insertInto("certificate_profiles")
        .values({ id: p.id, project_id: p.projectId, issuer_type: p.issuerType, ...profileColumns(p) })
        .execute();
    },
    /** A profile by id. */
    profileById: (id: string) => db.selectFrom("certificate_profiles").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A project's profiles. */
    profilesOf: (projectId: string) => db.selectFrom("certificate_profiles").selectAll().where("project_id", "=", projectId).orderBy("created_at").orderBy("id").execute(),
    /** Every profile with this slug, in any project (EST labels, at most 2 read). */
    profilesBySlug: (slug: string) => db.selectFrom("certificate_profiles").selectAll().where("slug", "=", slug).limit(2).execute(),
    /** Profiles built on a template. */
    profilesOfTemplate: (templateId: string) => db.selectFrom("certificate_profiles").selectAll().where("template_id", "=", templateId).execute(),
    /** Profiles issuing from a CA. */
    profilesOfCa: (caId: string) => db.selectFrom("certificate_profiles").selectAll().where("ca_id", "=", caId).execute(),
    /** Updates a profile. */
    async updateProfile(id: string, p: ProfileSettings) {
      await db
        .updateTable("certificate_profiles")
        .set(profileColumns(p))
        .where("id", "=", id)
        .execute();
    },
    /** Sets a profile's EST settings (null clears them). */
    async setEstConfig(id: string, est: EstConfig | null) {
      await db.updateTable("certificate_profiles").set({ est_config: est ? JSON.stringify(est) : null, updated_at: new Date() }).where("id", "=", id).execute();
    },
    /** Deletes a profile (its certificates keep existing, detached). */
    async deleteProfile(id: string) {
      await db.deleteFrom("certificate_profiles").where("id", "=", id).execute();
    },

  };
}
