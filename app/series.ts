/** One forecast series, a store's product: what a model, a forecast and a training claim belong to. */
export interface SeriesKey {
  store: number;
  productname: string;
}

/** A series as one map key (a NUL cannot occur in a store number or a product name). */
export const seriesId = (s: SeriesKey): string => `${s.store}\u0000${s.productname}`;

/** A series a run could not train or forecast, and why. */
export interface FailedSeries extends SeriesKey {
  reason: string;
}
