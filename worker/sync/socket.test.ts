import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { adopt, changedBy, compareHlc, emptySync, type Hlc, merge, record, type SyncCart, tick, view, ZERO } from "../../protocol/merge";
import type { Cart, ErrorBody } from "../../protocol/types";
import { signShopperToken } from "../../server/token";
import { eventually, ORIGIN, randomId, seedSite } from "../test/helpers";
import { Account } from "./account";
import { FLOOD, MAX_MESSAGE_BYTES } from "./socket";

let site: { id: number; key: string };
let other: { id: number; key: string };
beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN]);
  other = await seedSite(env.DB, [ORIGIN]);
});

const token = (userId: string, { key = site.key, secret = `sk_${site.key}`, expiresInSeconds = 600 } = {}) =>
  signShopperToken({ site: key, userId, secret, expiresInSeconds });
const namespace = () => env.ACCOUNT as unknown as DurableObjectNamespace<Account>;
const accountId = (userId: string, s = site) => namespace().idFromName(`${s.id}:${userId}`).toString();
const stubOf = (userId: string, s = site) => namespace().get(namespace().idFromName(`${s.id}:${userId}`));

type Message = { t: "d"; d?: SyncCart; s: number; k?: Hlc; full?: true; account?: string };

/** A socket to the collector, as the script opens one; what it hears is kept in order. */
async function open(account: string, { key = site.key, origin = ORIGIN } = {}) {
  const res = await exports.default.fetch(`https://collector.test/v1/sync/ws?site=${key}&account=${account}`, {
    headers: { upgrade: "websocket", origin },
  });
  expect(res.status).toBe(101);
  const ws = res.webSocket as WebSocket;
  ws.accept();
  const heard: Message[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.addEventListener("message", (e) => {
    if (e.data !== "pong") heard.push(JSON.parse(e.data as string));
  });
  ws.addEventListener("close", (e) => {
    closed = { code: e.code, reason: e.reason };
  });
  return {
    ws,
    heard,
    sent: [] as string[],
    send(message: unknown) {
      const text = typeof message === "string" ? message : JSON.stringify(message);
      this.sent.push(text);
      ws.send(text);
    },
    /** The next message after the first `n` heard. */
    next: (n = heard.length) => eventually(() => heard[n] ?? Promise.reject(new Error(`no message ${n} yet`))),
    closed: () => eventually(() => closed ?? Promise.reject(new Error("still open"))),
    /** How the collector closed it, if it did. */
    closedNow: () => closed,
  };
}

const line = (id: string, quantity = 1) => ({ id, name: id, price: 100, quantity });

/** A device: its replica, clock, watermark and acknowledged clock, as sdk/sync/entry.ts keeps them. */
function device(userId: string, aid = randomId()) {
  let clock: Hlc = ZERO;
  const d = {
    aid,
    replica: emptySync("EUR") as SyncCart,
    w: 0,
    acked: ZERO as Hlc,
    get clock() {
      return clock;
    },
    edit(change: (cart: Cart) => Cart) {
      d.replica = record(d.replica, change(view(d.replica)), () => {
        clock = tick(clock, aid, Date.now());
        return clock;
      });
    },
    // As sdk/sync/entry.ts's step() takes a message: no merge on the device, `adopt`.
    hear(m: Message) {
      if (m.k) d.acked = m.k;
      d.replica = adopt(d.replica, m.d ?? d.replica, m.full, changedBy(d.replica, aid, d.acked));
      d.w = m.s;
      const seen = [...Object.values(d.replica.lines).map((l) => l.at), d.replica.currencyAt];
      for (const at of seen) if (compareHlc(at, clock) > 0) clock = at;
    },
    async hello(extra: Record<string, unknown> = {}) {
      return { t: "hello", token: await token(userId), aid, w: d.w, d: changedBy(d.replica, aid, d.acked), k: clock, ...extra };
    },
    push: () => ({ t: "push", d: changedBy(d.replica, aid, d.acked), k: clock }),
    /** Opens a socket, says hello and takes the answer. */
    async connect() {
      const socket = await open(accountId(userId));
      socket.send(await d.hello());
      d.hear(await socket.next(0));
      return socket;
    },
  };
  return d;
}

describe("the socket route", () => {
  it.each([
    ["an unknown site", () => ({ key: "pk_nobody_here", origin: ORIGIN, upgrade: "websocket" }), 401, "unknown_site_key"],
    ["another origin", () => ({ key: site.key, origin: "https://evil.example", upgrade: "websocket" }), 403, "origin_not_allowed"],
    ["no upgrade", () => ({ key: site.key, origin: ORIGIN, upgrade: "" }), 426, "upgrade_required"],
  ])("refuses %s with a JSON error before any socket opens", async (_what, make, status, code) => {
    const { key, origin, upgrade } = make();
    const res = await exports.default.fetch(`https://collector.test/v1/sync/ws?site=${key}&account=${accountId("route")}`, {
      headers: { origin, ...(upgrade && { upgrade }) },
    });
    expect(res.status).toBe(status);
    expect(((await res.json()) as ErrorBody).error.code).toBe(code);
  });

  it("refuses an account id that is no account id", async () => {
    const res = await exports.default.fetch(`https://collector.test/v1/sync/ws?site=${site.key}&account=not-an-id`, {
      headers: { origin: ORIGIN, upgrade: "websocket" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe("invalid_account");
  });

  it("POST /v1/sync answers the account id the socket needs, and the watermark", async () => {
    const res = await exports.default.fetch(`https://collector.test/v1/sync?site=${site.key}`, {
      method: "POST",
      headers: { origin: ORIGIN },
      body: JSON.stringify({ token: await token("http-user"), aid: randomId(), cart: emptySync("EUR") }),
    });
    const body = (await res.json()) as { account: string; s: number };
    expect(body.account).toBe(accountId("http-user"));
    expect(body.s).toBe(0);
  });
});

describe("close codes", () => {
  it.each([
    ["missing", async () => "", 4401, "token_missing"],
    ["malformed", async () => "v1.not-base64!.x", 4401, "token_malformed"],
    ["forged", async () => token("closer", { secret: "sk_someone_else" }), 4401, "token_forged"],
    ["expired", async () => token("closer", { expiresInSeconds: -60 }), 4401, "token_expired"],
    ["for another site", async () => token("closer", { key: other.key, secret: `sk_${other.key}` }), 4403, "token_other_site"],
    ["for another user of the site", async () => token("someone-else"), 4403, "token_other_account"],
  ])("a token %s closes the socket with its code and reason, and reads nothing", async (_what, make, code, reason) => {
    const owner = device("closer");
    owner.edit((c) => ({ ...c, lines: [line("secret-tea")] }));
    (await owner.connect()).ws.close();
    const socket = await open(accountId("closer"));
    socket.send({ t: "hello", token: await make(), aid: randomId(), w: 0, d: emptySync("EUR"), k: ZERO });
    expect(await socket.closed()).toEqual({ code, reason });
    expect(socket.heard).toEqual([]);
  });

  it("a site that requires consent closes a socket without it (4451 consent_required)", async () => {
    const strict = await seedSite(env.DB, [ORIGIN], { requireConsent: true });
    const socket = await open(accountId("consent", strict), { key: strict.key });
    const signed = await token("consent", { key: strict.key, secret: `sk_${strict.key}` });
    socket.send({ t: "hello", token: signed, aid: randomId(), w: 0, d: emptySync("EUR"), k: ZERO });
    expect(await socket.closed()).toEqual({ code: 4451, reason: "consent_required" });
    const given = await open(accountId("consent", strict), { key: strict.key });
    given.send({ t: "hello", token: signed, aid: randomId(), w: 0, d: emptySync("EUR"), k: ZERO, consent: true });
    expect((await given.next(0)).t).toBe("d");
    given.ws.close();
  });

  it.each([
    ["a push before hello", () => ({ t: "push", d: emptySync("EUR"), k: [Date.now(), 0, "x"] })],
    ["no JSON", () => "{not json"],
    ["an unknown message", () => ({ t: "gimme" })],
    [
      "an entry with an unknown field clock",
      () => ({
        t: "push",
        d: {
          ...emptySync("EUR"),
          lines: { tea: { at: [Date.now(), 0, "x"], pos: [Date.now(), 0, "x"], f: { colour: [Date.now(), 0, "x"] } } },
        },
        k: [Date.now(), 0, "x"],
      }),
    ],
  ])("%s closes the socket (4400 invalid_message)", async (_what, make) => {
    const socket = await open(accountId("invalid"));
    socket.send(make());
    expect(await socket.closed()).toEqual({ code: 4400, reason: "invalid_message" });
  });

  it("a message over the size limit closes the socket (4413), and so does a flood (4429)", async () => {
    const big = await open(accountId("limits"));
    big.send("x".repeat(MAX_MESSAGE_BYTES + 1));
    expect(await big.closed()).toEqual({ code: 4413, reason: "message_too_large" });
    const d = device("limits");
    d.edit((c) => ({ ...c, lines: [line("tea")] }));
    const flood = await d.connect();
    for (let i = 0; i <= FLOOD.messages; i++) flood.send(d.push());
    expect(await flood.closed()).toEqual({ code: 4429, reason: "too_many_messages" });
    expect(flood.heard.length).toBeLessThanOrEqual(FLOOD.messages);
  });

  it("a binary frame, however small, closes the socket with its own code (4415 binary_message), not as too large", async () => {
    const socket = await open(accountId("binary"));
    socket.ws.send(new Uint8Array([123, 125]));
    expect(await socket.closed()).toEqual({ code: 4415, reason: "binary_message" });
  });

  it("a socket that never says hello is closed at 10 s after it opened, not 10 s after an alarm that fired early or served an older socket", async () => {
    const socket = await open(accountId("silent"));
    const opened = Date.now();
    await runInDurableObject(stubOf("silent"), async (instance, state) => {
      const alarm = (await state.storage.getAlarm()) as number;
      expect(alarm - opened).toBeLessThanOrEqual(10_000);
      // The alarm fires 10 ms before the socket's 10 s are up (early, or set for another socket).
      const [ws] = state.getWebSockets() as WebSocket[];
      const a = ws?.deserializeAttachment();
      ws?.serializeAttachment({ ...a, opened: Date.now() - 9_990 });
      await instance.alarm();
      expect((await state.storage.getAlarm()) as number).toBeLessThanOrEqual(Date.now() + 10);
      // Its time up, the next alarm closes it.
      ws?.serializeAttachment({ ...a, opened: Date.now() - 10_000 });
      await instance.alarm();
    });
    expect(await socket.closed()).toEqual({ code: 4408, reason: "hello_timeout" });
  });

  it("revoking a device closes its socket (4410 device_revoked) and its next hello; the others keep going", async () => {
    const [kept, lost] = [device("revoked"), device("revoked")];
    const keptSocket = await kept.connect();
    const lostSocket = await lost.connect();
    const res = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/users/revoked/devices/${lost.aid}`, {
      method: "DELETE",
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    expect(res.status).toBe(200);
    expect(await lostSocket.closed()).toEqual({ code: 4410, reason: "device_revoked" });
    const again = await open(accountId("revoked"));
    again.send(await lost.hello());
    expect(await again.closed()).toEqual({ code: 4410, reason: "device_revoked" });
    kept.edit((c) => ({ ...c, lines: [line("tea")] }));
    const n = keptSocket.heard.length;
    keptSocket.send(kept.push());
    expect((await keptSocket.next(n)).d?.lines.tea?.line?.id).toBe("tea");
    keptSocket.ws.close();
  });

  it("a sixth device retires the least recently seen one, which is told over its socket (4409 device_retired)", async () => {
    const devices = Array.from({ length: 6 }, () => device("six"));
    const sockets = [];
    for (const d of devices.slice(0, 5)) sockets.push(await d.connect());
    sockets.push(await devices[5]?.connect());
    expect(await sockets[0]?.closed()).toEqual({ code: 4409, reason: "device_retired" });
    for (const s of sockets.slice(1)) s?.ws.close();
  });

  it("signing out closes the device's sockets (4411 signed_out)", async () => {
    const d = device("leaver");
    const socket = await d.connect();
    await exports.default.fetch(`https://collector.test/v1/sync/signout?site=${site.key}`, {
      method: "POST",
      headers: { origin: ORIGIN },
      body: JSON.stringify({ token: await token("leaver"), aid: d.aid, cart: emptySync("EUR") }),
    });
    expect(await socket.closed()).toEqual({ code: 4411, reason: "signed_out" });
  });
});

describe("deltas", () => {
  it("a change goes up as a delta, is merged, and is pushed to the account's other sockets only as what changed", async () => {
    const [laptop, phone] = [device("delta"), device("delta")];
    laptop.edit((c) => ({ ...c, lines: [line("tea"), line("mug")] }));
    const a = await laptop.connect();
    const b = await phone.connect();
    expect(view(phone.replica).lines.map((l) => l.id)).toEqual(["tea", "mug"]);
    laptop.edit((c) => ({ ...c, lines: c.lines.map((l) => (l.id === "mug" ? { ...l, quantity: 4 } : l)) }));
    const up = laptop.push();
    expect(Object.keys(up.d.lines)).toEqual(["mug"]); // only the changed line goes up
    const [na, nb] = [a.heard.length, b.heard.length];
    a.send(up);
    const pushed = await b.next(nb);
    expect(Object.keys(pushed.d?.lines ?? {})).toEqual(["mug"]);
    phone.hear(pushed);
    const ack = await a.next(na);
    expect(ack.k).toEqual(up.k);
    laptop.hear(ack);
    expect(view(phone.replica)).toEqual(view(laptop.replica));
    expect(laptop.push().d.lines).toEqual({}); // acknowledged: nothing left to send
    a.ws.close();
    b.ws.close();
  });

  it("a quantity changed on one device and a variant on another both survive, on both", async () => {
    const [laptop, phone] = [device("fields"), device("fields")];
    laptop.edit((c) => ({ ...c, lines: [line("tea")] }));
    const a = await laptop.connect();
    const b = await phone.connect();
    laptop.edit((c) => ({ ...c, lines: [{ ...line("tea"), quantity: 3 }] }));
    phone.edit((c) => ({ ...c, lines: [{ ...line("tea"), variant: "loose" }] }));
    const [na, nb] = [a.heard.length, b.heard.length];
    a.send(laptop.push());
    b.send(phone.push());
    await eventually(() => expect(a.heard.length).toBeGreaterThanOrEqual(na + 2));
    await eventually(() => expect(b.heard.length).toBeGreaterThanOrEqual(nb + 2));
    for (const m of a.heard.slice(na)) laptop.hear(m);
    for (const m of b.heard.slice(nb)) phone.hear(m);
    const both = [{ id: "tea", name: "tea", price: 100, quantity: 3, variant: "loose" }];
    expect(view(laptop.replica).lines).toEqual(both);
    expect(view(phone.replica).lines).toEqual(both);
    a.ws.close();
    b.ws.close();
  });

  it("a device reconnecting with its watermark gets exactly what it missed", async () => {
    const [laptop, phone] = [device("missed"), device("missed")];
    laptop.edit((c) => ({ ...c, lines: [line("tea"), line("mug"), line("kettle")] }));
    const a = await laptop.connect();
    const b = await phone.connect();
    b.ws.close(); // the phone goes away, knowing the account up to its watermark
    const w = phone.w;
    laptop.edit((c) => ({ ...c, lines: [line("tea", 2), line("kettle"), line("oolong")] })); // mug removed
    let n = a.heard.length;
    a.send(laptop.push());
    laptop.hear(await a.next(n));
    n = a.heard.length;
    laptop.edit((c) => ({ ...c, lines: [...c.lines, line("cup")] }));
    a.send(laptop.push());
    laptop.hear(await a.next(n));
    const again = await open(accountId("missed"));
    again.send(await phone.hello());
    const answer = await again.next(0);
    expect(answer.full).toBeUndefined();
    expect(Object.keys(answer.d?.lines ?? {}).sort()).toEqual(["cup", "mug", "oolong", "tea"]); // not kettle: it had that
    expect(answer.s).toBeGreaterThan(w);
    phone.hear(answer);
    expect(view(phone.replica)).toEqual(view(laptop.replica));
    // Its watermark now says it has everything: a reconnect gets nothing more.
    again.ws.close();
    const third = await open(accountId("missed"));
    third.send(await phone.hello());
    expect((await third.next(0)).d?.lines).toEqual({});
    third.ws.close();
    a.ws.close();
  });

  it("writes nothing when a message changes nothing", async () => {
    const d = device("quiet");
    d.edit((c) => ({ ...c, lines: [line("tea")] }));
    const socket = await d.connect();
    const writes = await runInDurableObject(stubOf("quiet"), (_instance, state) => {
      const counter = { puts: 0 };
      const put = state.storage.put.bind(state.storage);
      state.storage.put = ((...args: Parameters<typeof put>) => {
        counter.puts++;
        return put(...args);
      }) as typeof put;
      (globalThis as unknown as { writes: typeof counter }).writes = counter;
      return counter.puts;
    });
    expect(writes).toBe(0);
    // The same entries again (a redelivery), and an empty push: acknowledged, nothing stored.
    const replay = { t: "push", d: d.replica, k: [Date.now(), 0, d.aid] };
    for (const message of [replay, replay, d.push()]) {
      const n = socket.heard.length;
      socket.send(message);
      expect((await socket.next(n)).d).toBeUndefined();
    }
    const puts = await runInDurableObject(stubOf("quiet"), () => (globalThis as unknown as { writes: { puts: number } }).writes.puts);
    expect(puts).toBe(0);
    // A real change is written.
    d.edit((c) => ({ ...c, lines: [line("tea", 2)] }));
    const n = socket.heard.length;
    socket.send(d.push());
    expect((await socket.next(n)).d?.lines.tea?.line?.quantity).toBe(2);
    expect(await runInDurableObject(stubOf("quiet"), () => (globalThis as unknown as { writes: { puts: number } }).writes.puts)).toBe(1);
    socket.ws.close();
  });
});

describe("hibernation", () => {
  it("an object woken from hibernation, with nothing in memory, still knows each socket's device and pushes to the others", async () => {
    const [laptop, phone] = [device("sleepy"), device("sleepy")];
    const a = await laptop.connect();
    const b = await phone.connect();
    laptop.edit((c) => ({ ...c, lines: [line("tea")] }));
    const nb = b.heard.length;
    // A new instance of the class on the same object's state: what the runtime builds when a
    // message wakes a hibernated object. It has only the sockets and their attachments.
    await runInDurableObject(stubOf("sleepy"), async (_old, state) => {
      const woken = new Account(state, env);
      const sockets = state.getWebSockets();
      expect(sockets).toHaveLength(2);
      const devices = sockets.map((ws) => (ws.deserializeAttachment() as { aid: string }).aid).sort();
      expect(devices).toEqual([laptop.aid, phone.aid].sort());
      const fromLaptop = sockets.find((ws) => (ws.deserializeAttachment() as { aid: string }).aid === laptop.aid) as WebSocket;
      await woken.webSocketMessage(fromLaptop, JSON.stringify(laptop.push()));
    });
    const pushed = await b.next(nb);
    expect(Object.keys(pushed.d?.lines ?? {})).toEqual(["tea"]);
    a.ws.close();
    b.ws.close();
  });

  it("keep-alives are answered without waking the object", async () => {
    const d = device("pinger");
    const socket = await d.connect();
    const n = socket.heard.length;
    const pong = new Promise<string>((resolve) =>
      socket.ws.addEventListener(
        "message",
        (e) => {
          if (e.data === "pong") resolve(e.data as string);
        },
        { once: true },
      ),
    );
    socket.ws.send("ping");
    expect(await pong).toBe("pong");
    // Not a message the object handled: it sent nothing else and counted nothing against the flood limit.
    await runInDurableObject(stubOf("pinger"), (_i, state) => {
      const [ws] = state.getWebSockets();
      expect((ws as WebSocket).deserializeAttachment().count).toBe(1); // the hello alone
      expect(state.getWebSocketAutoResponse()?.request).toBe("ping");
    });
    expect(socket.heard).toHaveLength(n);
    socket.ws.close();
  });
});

describe("devices over sockets (property test, the real account object)", () => {
  type Step =
    | { type: "edit"; device: number; id: string; what: "add" | "remove" | "qty" | "variant"; n: number }
    | { type: "push" | "redeliver" | "drop" | "reconnect" | "hear"; device: number };
  const IDS = ["tea", "mug", "kettle"];
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      type: fc.constant("edit" as const),
      device: fc.integer({ min: 0, max: 2 }),
      id: fc.constantFrom(...IDS),
      what: fc.constantFrom("add" as const, "remove" as const, "qty" as const, "variant" as const),
      n: fc.integer({ min: 1, max: 4 }),
    }),
    fc.record({
      type: fc.constantFrom("push" as const, "redeliver" as const, "drop" as const, "reconnect" as const, "hear" as const),
      device: fc.integer({ min: 0, max: 2 }),
    }),
  );
  let run = 0;

  // It was quarantined for closing a socket with 4400 invalid_message about one run in five (seed
  // 957667536, path "114"). Not a race in the account: the harness pushed for a device that had
  // changed nothing and heard no line, so its clock was still [0, 0, ""], which a push's `k` may
  // not be. The script never sends such a push (only lines it changed, each with its clock), and
  // now neither does the harness. 150 runs passed after; changing which entries the feed numbers
  // (a reconnect then misses them) fails it within a few runs.
  it("edits, pushes, redeliveries, dropped sockets and reconnects in any order: every device ends with the same cart, every write in it once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30 }), async (steps) => {
        const user = `prop-${++run}-${randomId()}`;
        const devices = [0, 1, 2].map(() => ({
          d: device(user),
          socket: undefined as Awaited<ReturnType<typeof open>> | undefined,
          read: 0,
          last: undefined as unknown,
        }));
        // Every write any device made: the cart every device must end with is all of them merged.
        const writes: SyncCart[] = [];
        const hear = (x: (typeof devices)[number]) => {
          if (!x.socket) return;
          for (; x.read < x.socket.heard.length; x.read++) x.d.hear(x.socket.heard[x.read] as Message);
        };
        const connect = async (x: (typeof devices)[number]) => {
          x.socket?.ws.close();
          x.socket = await open(accountId(user));
          x.read = 0;
          x.socket.send(await x.d.hello());
        };
        for (const s of steps) {
          const x = devices[s.device] as (typeof devices)[number];
          hear(x);
          // The collector never has a reason to close one of these sockets.
          expect(x.socket?.closedNow()).toBeUndefined();
          if (s.type === "edit") {
            const before = x.d.replica;
            const clock = x.d.clock;
            x.d.edit((c) => {
              const existing = c.lines.find((l) => l.id === s.id);
              if (s.what === "remove") return { ...c, lines: c.lines.filter((l) => l.id !== s.id) };
              if (s.what === "variant")
                return existing ? { ...c, lines: c.lines.map((l) => (l.id === s.id ? { ...l, variant: `v${s.n}` } : l)) } : c;
              const quantity = s.what === "add" ? (existing?.quantity ?? 0) + s.n : s.n;
              return existing
                ? { ...c, lines: c.lines.map((l) => (l.id === s.id ? { ...l, quantity } : l)) }
                : { ...c, lines: [...c.lines, line(s.id, quantity)] };
            });
            if (x.d.replica !== before) writes.push(changedBy(x.d.replica, x.d.aid, clock));
          } else if (s.type === "push" && x.socket?.heard.length && Object.keys(x.d.push().d.lines).length) {
            // As the script does: over the socket only once its hello was answered (until then the
            // account has not checked its token, and takes nothing else from it), and only with
            // lines it changed. A device that changed nothing may hold no clock reading yet, and a
            // push's `k` must be one (SocketMessageSchema): pushing nothing with [0, 0, ""] was
            // what closed sockets with 4400 here (seed 957667536, path "114").
            x.last = x.d.push();
            x.socket.send(x.last);
          } else if (s.type === "redeliver" && x.socket?.heard.length && x.last) x.socket.send(x.last);
          else if (s.type === "drop" && x.socket) {
            // Gone mid-flight: whatever the account answers now is never read.
            x.socket.ws.close();
            x.socket = undefined;
          } else if (s.type === "reconnect" && !x.socket) await connect(x);
          else if (s.type === "hear") await new Promise((r) => setTimeout(r, 5));
        }
        // Everyone back online, twice round: the first round sends what each still has, the second
        // collects what the others sent after.
        for (let round = 0; round < 2; round++)
          for (const x of devices) {
            await connect(x);
            await eventually(() => expect(x.socket?.heard.length).toBeGreaterThan(0));
            hear(x);
          }
        for (const x of devices) x.socket?.ws.close();
        // Every device holds the same replica, positions and clocks included (they converged), and
        // its lines are every write merged once. The order of lines is compared between devices
        // only: a line removed and added again can take its position from another of its writes
        // than a plain merge of the recorded writes does (seed 284281983, path "22"; see the note
        // on issue 14), which changes no line and loses none.
        const expected = writes.reduce(merge, emptySync("EUR"));
        const byId = (cart: SyncCart) => view(cart).lines.sort((a, b) => a.id.localeCompare(b.id));
        const [first] = devices;
        for (const x of devices) {
          expect(x.d.replica.lines).toEqual(first?.d.replica.lines);
          expect(byId(x.d.replica)).toEqual(byId(expected));
        }
      }),
      // No shrinking: against the real object it outlasts the test's time, and a timeout shows no
      // counterexample. The first one found is printed with its seed, to replay.
      { numRuns: 25, endOnFailure: true },
    );
  }, 120_000);
});
