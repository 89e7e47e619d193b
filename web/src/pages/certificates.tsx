import { useMemo, useState } from "react";
import { Anchor, Button, Group, Select, Stack, Table, TextInput, Text, ScrollArea } from "@mantine/core";
import { useQuery, keepPreviousData } from "@tanstack/react-query";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { Link, useSearchParams } from "react-router";
import { get, qs } from "../api.js";
import { CERTS_PATH, useCas, useProfiles } from "../data.js";
import { Empty, Loading, PageTitle, ProblemAlert, StatusBadge, timeLeft, when } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import type { Certificate, CertificateList } from "../types.js";

const col = createColumnHelper<Certificate>();
const PAGE = 50;

/** The certificate table: search, filters, keyset paging (the API's cursor), status and time left. */
export function CertificatesPage() {
  const projectId = useProjectId();
  const canWrite = useCanWrite(projectId);
  const [params, setParams] = useSearchParams();
  const [cursors, setCursors] = useState<string[]>([]);
  const [searchText, setSearchText] = useState(params.get("search") ?? "");
  const filters = {
    search: params.get("search") ?? undefined,
    status: params.get("status") ?? undefined,
    profileId: params.get("profileId") ?? undefined,
    caId: params.get("caId") ?? undefined,
    expiresBefore: params.get("expiresBefore") ?? undefined,
  };
  const cursor = cursors[cursors.length - 1];
  const list = useQuery({
    queryKey: ["certificates", projectId, filters, cursor],
    queryFn: () => get<CertificateList>(CERTS_PATH + qs({ projectId, ...filters, expiresBefore: filters.expiresBefore ? new Date(filters.expiresBefore + "T00:00:00Z").toISOString() : undefined, limit: PAGE, cursor })),
    placeholderData: keepPreviousData,
  });
  const profiles = useProfiles(projectId);
  const cas = useCas(projectId);
  const profileName = useMemo(() => new Map(profiles.data?.certificateProfiles.map((p) => [p.id, p.slug]) ?? []), [profiles.data]);
  const setFilter = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setCursors([]);
    setParams(next, { replace: true });
  };
  const columns = useMemo(
    () => [
      col.accessor("commonName", { header: "Common name", cell: (c) => <Anchor component={Link} to={`/p/${projectId}/certificates/${c.row.original.id}`}>{c.getValue() || "(no CN)"}</Anchor> }),
      col.accessor("altNames", { header: "SANs", cell: (c) => <Text size="sm" lineClamp={2}>{c.getValue()}</Text> }),
      col.accessor("status", { header: "Status", cell: (c) => <StatusBadge status={c.row.original.renewedByCertificateId && c.getValue() === "active" ? "renewed" : c.getValue()} /> }),
      col.accessor("notAfter", { header: "Expires", cell: (c) => <span title={when(c.getValue())}>{timeLeft(c.getValue())}</span> }),
      col.accessor("serialNumber", { header: "Serial", cell: (c) => <Text size="xs" className="mono">{c.getValue()}</Text> }),
      col.accessor("profileId", { header: "Profile", cell: (c) => (c.getValue() ? (profileName.get(c.getValue()!) ?? "—") : "—") }),
    ],
    [projectId, profileName],
  );
  const table = useReactTable({ data: list.data?.certificates ?? [], columns, getCoreRowModel: getCoreRowModel() });
  const anyFilter = Object.values(filters).some(Boolean);
  return (
    <Stack>
      <PageTitle actions={canWrite && <Button component={Link} to={`/p/${projectId}/certificates/issue`}>Issue a certificate</Button>}>Certificates</PageTitle>
      <form onSubmit={(e) => (e.preventDefault(), setFilter("search", searchText.trim() || null))} role="search">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput label="Search" placeholder="CN, SAN or serial" value={searchText} onChange={(e) => setSearchText(e.currentTarget.value)} w={220} />
          <Button type="submit" variant="default">Search</Button>
          <Select label="Status" clearable w={140} data={["active", "expired", "revoked", "renewed"]} value={filters.status ?? null} onChange={(v) => setFilter("status", v)} />
          <Select label="Profile" clearable w={180} data={profiles.data?.certificateProfiles.map((p) => ({ value: p.id, label: p.slug })) ?? []} value={filters.profileId ?? null} onChange={(v) => setFilter("profileId", v)} />
          <Select label="CA" clearable w={180} data={cas.data?.map((c) => ({ value: c.id, label: c.name })) ?? []} value={filters.caId ?? null} onChange={(v) => setFilter("caId", v)} />
          <TextInput label="Expiring before" type="date" w={170} value={filters.expiresBefore ?? ""} onChange={(e) => setFilter("expiresBefore", e.currentTarget.value || null)} />
        </Group>
      </form>
      <ProblemAlert error={list.error} />
      {list.isPending ? (
        <Loading label="Loading certificates" />
      ) : list.data && list.data.certificates.length === 0 ? (
        <Empty action={!anyFilter && canWrite && <Button component={Link} to={`/p/${projectId}/certificates/issue`}>Issue a certificate</Button>}>
          {anyFilter ? "No certificate matches these filters. Clear a filter or search for something else." : "This project has no certificates yet. Issue one here, or enroll through ACME or the API."}
        </Empty>
      ) : (
        <ScrollArea>
          <Table striped highlightOnHover miw={760} aria-label="Certificates">
            <Table.Thead>
              {table.getHeaderGroups().map((hg) => (
                <Table.Tr key={hg.id}>{hg.headers.map((h) => <Table.Th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</Table.Th>)}</Table.Tr>
              ))}
            </Table.Thead>
            <Table.Tbody>
              {table.getRowModel().rows.map((r) => (
                <Table.Tr key={r.id}>{r.getVisibleCells().map((c) => <Table.Td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</Table.Td>)}</Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
      <Group justify="flex-end">
        <Button variant="default" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</Button>
        <Button variant="default" disabled={!list.data?.nextCursor} onClick={() => setCursors((c) => [...c, list.data!.nextCursor!])}>Next page</Button>
      </Group>
    </Stack>
  );
}
