import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgress, parseEgressAllow, refusalOf } from "./egress.js";

// No traffic leaves the machine: resolvers are injected, and the only sockets go to 127.0.0.1.
const strict = createEgress();

describe("egress policy: refused by default", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["169.254.169.254", "link-local"],
    ["169.254.0.1", "link-local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "unique local"],
    ["fd00:ec2::254", "unique local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "IETF protocol assignment"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["192.88.99.1", "6to4 relay"],
    ["100::1", "discard-only"],
    ["2001::1", "Teredo"],
    ["64:ff9b:1::1", "local-use NAT64"],
    ["fec0::1", "site-local"],
    // IPv6 forms that carry a refused IPv4 address are judged by it.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:a9fe:a9fe", "link-local"],
    ["::ffff:0:a00:1", "private"], // IPv4-translated (RFC 2765)
    ["64:ff9b::a9fe:a9fe", "link-local"], // NAT64
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:7f00:1::1", "loopback"], // 6to4
    ["2002:c0a8:0101::1", "private"],
    ["::127.0.0.1", "IPv4-compatible"],
    ["::a9fe:a9fe", "IPv4-compatible"],
  ])("fail/ %s is refused (%s)", (addr, kind) => {
    const r = strict.hostRefusal(addr);
    expect(r?.what).toContain(kind);
    expect(r?.address).not.toBeNull();
  });

  it.each([
    // Odd IPv4 spellings getaddrinfo(3) and the WHATWG URL parser read as addresses.
    ["0x7f000001", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["127.0.1", "127.0.0.1"],
    ["0x7f.1", "127.0.0.1"],
    ["0X7F.0.0.0x1", "127.0.0.1"],
    ["127.000.000.001", "127.0.0.1"],
    ["127.0.0.1.", "127.0.0.1"],
    ["017700000001", "127.0.0.1"],
    ["0", "0.0.0.0"],
    ["0xa9fea9fe", "169.254.169.254"],
    ["2852039166", "169.254.169.254"],
    ["0251.0376.0251.0376", "169.254.169.254"],
    ["169.254.43518", "169.254.169.254"],
    ["10.1", "10.0.0.1"],
    ["[::1]", "::1"],
    ["[::ffff:127.0.0.1]", "::ffff:127.0.0.1"],
    ["[FD00:EC2::254]", "fd00:ec2::254"],
  ])("fail/ the raw host %s is refused as %s", (host, address) => {
    expect(strict.hostRefusal(host)).toMatchObject({ address });
  });

  it.each(["0x7f000001", "2130706433", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]", "169.254.169.254", "[fd00:ec2::254]", "10.0.0.1", "0xa9fea9fe", "127.0.0.1."])(
    "fail/ the URL host of http://%s/ is refused, however the URL parser normalised it",
    (host) => {
      expect(strict.hostRefusal(new URL(`http://${host}:8080/hook`).hostname)).not.toBeNull();
    },
  );

  it.each(["metadata.google.internal", "METADATA.google.internal.", "metadata", "metadata.goog", "instance-data", "instance-data.ec2.internal", "metadata.azure.internal"])(
    "fail/ the metadata host name %s is refused before any resolution",
    (name) => {
      expect(strict.hostRefusal(name)?.what).toContain("cloud instance metadata host name");
    },
  );

  it.each(["8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.128.0.1", "169.255.0.1", "192.0.3.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::1", "hooks.example.com"])(
    "ok/ %s passes the pre-check",
    (host) => {
      expect(strict.hostRefusal(host)).toBeNull();
    },
  );

  it("ok/ the message names the address, its class and the option that allows it", () => {
    const r = strict.hostRefusal("10.0.0.1")!;
    expect(r.what).toBe("10.0.0.1 is a private address (RFC 1918)");
    expect(refusalOf(Object.assign(new Error(), { code: "EGRESS_REFUSED", refusal: r }))).toBe(r);
    expect(strict.hostRefusal("0x7f000001")!.what).toBe("0x7f000001 means 127.0.0.1, a loopback address (RFC 1122)");
  });
});

describe("egress policy: the allow-list", () => {
  it("ok/ parses CIDRs, addresses, names and *.suffix; names every bad entry", () => {
    expect(parseEgressAllow(" 10.0.0.0/8, fd00::/8,127.0.0.1 , Hooks.Internal., *.corp.example,")).toEqual({
      entries: ["10.0.0.0/8", "fd00::/8", "127.0.0.1", "hooks.internal", "*.corp.example"],
    });
    const bad = parseEgressAllow("10.0.0.0/33,fe80::1%eth0,a b,*.,0x7f000001,::1/129");
    expect("errors" in bad && bad.errors).toHaveLength(6);
  });

  const allowed = createEgress({ allow: ["10.0.0.0/8", "127.0.0.1", "fd00:ec2::/32", "hooks.internal", "*.corp.example", "metadata.google.internal"] });
  it.each(["10.1.2.3", "0x0a000001", "127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.9.9.9", "fd00:ec2::254", "metadata.google.internal"])("ok/ %s is let through when listed", (h) => {
    expect(allowed.hostRefusal(h)).toBeNull();
  });
  it.each(["127.0.0.2", "192.168.1.1", "fd01::1", "169.254.169.254", "metadata"])("fail/ %s is still refused", (h) => {
    expect(allowed.hostRefusal(h)).not.toBeNull();
  });

  it("ok/ a listed name is trusted with what it resolves to; others are vetted", async () => {
    const e = createEgress({ allow: ["hooks.internal", "*.corp.example"], resolveHost: async () => ["10.0.0.5"] });
    expect(await e.resolve("hooks.internal")).toEqual(["10.0.0.5"]);
    expect(await e.resolve("a.b.corp.example")).toEqual(["10.0.0.5"]);
    await expect(e.resolve("corp.example")).rejects.toMatchObject({ code: "EGRESS_REFUSED", refusal: { what: "corp.example resolves to 10.0.0.5, a private address (RFC 1918)" } });
  });
});

describe("egress policy: resolution and connections", () => {
  let server: net.Server;
  let port: number;
  let accepted = 0;
  beforeAll(async () => {
    server = net.createServer((s) => {
      accepted++;
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("fail/ one refused address among public ones refuses the name", async () => {
    const e = createEgress({ resolveHost: async () => ["93.184.216.34", "169.254.169.254"] });
    await expect(e.resolve("mixed.example.test")).rejects.toMatchObject({ refusal: { address: "169.254.169.254" } });
  });

  it("fail/ the lookup for node:net refuses a name that resolves to loopback; nothing connects", async () => {
    const e = createEgress({ resolveHost: async () => ["127.0.0.1"] });
    const before = accepted;
    const err = await new Promise<Error>((resolve) => {
      const s = net.connect({ host: "rebind.example.test", port, lookup: e.lookup });
      s.on("error", resolve);
      s.on("connect", () => resolve(new Error("connected")));
    });
    expect(refusalOf(err)?.what).toBe("rebind.example.test resolves to 127.0.0.1, a loopback address (RFC 1122)");
    expect(accepted).toBe(before);
  });

  it("fail/ a socket that reaches a refused address is destroyed before anything is written", async () => {
    // The caller passes an unvetted address (as a bug would): the remote-address check catches it.
    const e = createEgress();
    const s = e.connect({ address: "127.0.0.1", port });
    s.write("GET / HTTP/1.0\r\n\r\n");
    const err = await new Promise<Error>((resolve) => s.on("error", resolve));
    expect(refusalOf(err)?.what).toBe("the connection reached 127.0.0.1, a loopback address (RFC 1122)");
    expect(s.bytesWritten).toBe(0);
  });

  it("ok/ connectHost reaches an allow-listed address", async () => {
    const e = createEgress({ allow: ["127.0.0.1/32"], resolveHost: async () => ["127.0.0.1"] });
    const s = await e.connectHost({ host: "local.example.test", port, signal: AbortSignal.timeout(2000) });
    expect(s.remoteAddress).toBe("127.0.0.1");
    s.destroy();
  });
});
