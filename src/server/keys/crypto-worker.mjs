// The worker-thread entry of the crypto pool (crypto-pool.ts). Piscina imports this file in each
// thread; the tasks are TypeScript, so they are loaded through tsx's API, which works whether or
// not the parent registered tsx (`node --import tsx` passes it on to threads; vitest does not).
import { tsImport } from "tsx/esm/api";

const tasks = await tsImport("./crypto-tasks.ts", import.meta.url);

export const generateKeyPair = tasks.generateKeyPair;
export const pkcs12 = tasks.pkcs12;
