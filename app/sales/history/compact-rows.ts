/**
 * The loader's compact row storage: valid rows are kept in growable typed arrays (about 22 bytes a
 * row), not as objects, so Kaggle's 1M-row train.csv costs ~25 MB. Dates are integer days since
 * 1970-01-01 (UTC).
 */

/** Columnar, growable typed arrays: ~22 bytes a row instead of a ~200-byte object. */
export class SalesColumns {
  length = 0;
  store = new Int32Array(1024);
  day = new Int32Array(1024);
  sales = new Int32Array(1024);
  customers = new Int32Array(1024);
  product = new Int32Array(1024);
  /** bit 0 open, bit 1 promo, bit 2 school holiday */
  flags = new Uint8Array(1024);
  holiday = new Uint8Array(1024);

  push(store: number, day: number, sales: number, customers: number, product: number, flags: number, holiday: number) {
    if (this.length === this.store.length) this.grow();
    const i = this.length++;
    this.store[i] = store;
    this.day[i] = day;
    this.sales[i] = sales;
    this.customers[i] = customers;
    this.product[i] = product;
    this.flags[i] = flags;
    this.holiday[i] = holiday;
  }

  private grow(): void {
    const n = this.store.length * 2;
    const int32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const uint8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.store = int32(this.store);
    this.day = int32(this.day);
    this.sales = int32(this.sales);
    this.customers = int32(this.customers);
    this.product = int32(this.product);
    this.flags = uint8(this.flags);
    this.holiday = uint8(this.holiday);
  }
}

export interface CalendarEntry {
  store: number;
  day: number;
  flags: number;
  holiday: number;
}

export interface StoreEntry {
  store: number;
  storeType: string | null;
  assortment: string | null;
}
