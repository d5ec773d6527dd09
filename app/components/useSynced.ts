import { useEffect, useState } from "react";

/**
 * A form control's value that the user changes and that follows the loader when the page's data
 * changes (a link, the back button). Controlled, so the control keeps its focus while the page
 * reloads around it (remounting it with a `key` would drop the focus of a keyboard user).
 */
export function useSynced<T>(value: T): [T, (v: T) => void] {
  const [current, setCurrent] = useState(value);
  useEffect(() => setCurrent(value), [value]);
  return [current, setCurrent];
}
