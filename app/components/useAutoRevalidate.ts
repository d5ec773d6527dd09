import { useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";

/**
 * Re-runs the page's loaders every `intervalMs` while the tab is visible and nothing else is
 * loading: live figures without a socket. Without JavaScript the page is simply as served.
 */
export function useAutoRevalidate(intervalMs: number, enabled = true): void {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  // The latest of both, read by the timer without restarting it on every render.
  const latest = useRef({ revalidator, navigation });
  latest.current = { revalidator, navigation };
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => {
      const { revalidator: r, navigation: n } = latest.current;
      if (document.visibilityState === "visible" && r.state === "idle" && n.state === "idle") r.revalidate();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [enabled, intervalMs]);
}
