import { describe, expect, it } from "vitest";
import { ipv6Octets as parseIpv6 } from "../../pki/ip.js";
import { disallowedReason } from "./address-policy.js";

describe("address policy", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "shared"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["fd00::1", "unique local"],
    ["fc12:3456::1", "unique local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["64:ff9b::a00:1", "private"],
    ["2002:c0a8:0101::1", "private"],
  ])("fail/ %s is refused (%s)", (addr, why) => {
    expect(disallowedReason(addr)).toContain(why);
  });

  it.each(["8.8.8.8", "172.15.255.255", "172.32.0.1", "100.128.0.1", "169.255.0.1", "2001:4860:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8"])(
    "ok/ %s is allowed",
    (addr) => {
      expect(disallowedReason(addr)).toBeNull();
    },
  );

  it("fail/ non-addresses are refused", () => {
    expect(disallowedReason("example.com")).toBe("not an IP address");
    expect(disallowedReason("fe80::1%eth0")).toBe("not an IP address");
  });

  it("ok/ parses IPv6 forms to 16 bytes", () => {
    expect(Array.from(parseIpv6("::1")!)).toEqual([...Array(15).fill(0), 1]);
    expect(Array.from(parseIpv6("2001:db8::ffff:1.2.3.4")!).slice(12)).toEqual([1, 2, 3, 4]);
    expect(Array.from(parseIpv6("1:2:3:4:5:6:7:8")!)).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(parseIpv6("1.2.3.4")).toBeNull();
  });
});
