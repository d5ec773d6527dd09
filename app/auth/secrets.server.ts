/**
 * The cryptography of sign-in: argon2id password hashes (@node-rs/argon2, OWASP's parameters), and
 * random tokens stored as their SHA-256 (a 256-bit random token needs no slow hash: nothing to guess).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";

/** argon2id, m=19 MiB, t=2, p=1 (the library's defaults, OWASP's minimum). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** A hash nobody's password matches, verified when the user does not exist (same time either way). */
const DECOY = hash(randomBytes(32).toString("base64"));

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash ?? (await DECOY), password);
  } catch {
    return false;
  }
}

/** A fresh secret token: `prefix` + 43 characters of base64url (256 bits). */
export function newToken(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function hmac(key: string, text: string): string {
  return createHmac("sha256", key).update(text).digest("base64url");
}

/** Compares two strings in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
