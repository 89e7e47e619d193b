/** The part of autocannon 9's API the benches use (the package ships no types). */
declare module "autocannon" {
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    duration?: number;
  }
  interface Result {
    "2xx": number;
    non2xx: number;
    errors: number;
    latency: { p50: number; p99: number; average: number };
    requests: { average: number; total: number };
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
