import { createContext, useContext } from "react";

/**
 * The script nonce of the page being rendered on the server (the Content-Security-Policy allows
 * inline scripts carrying it); undefined in the browser, where the scripts already ran.
 */
export const NonceContext = createContext<string | undefined>(undefined);

export function useNonce(): string | undefined {
  return useContext(NonceContext);
}
