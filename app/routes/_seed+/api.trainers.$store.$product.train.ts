import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  allowMethods,
  api,
  assertSeries,
  methodNotAllowed,
  parseProduct,
  parseStore,
  readBodyText,
} from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { seedApi } from "./contract.server.js";

/** Reference-compatible: POST /api/trainers/{store_id}/{product_name}/train retrains one series. */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    const store = parseStore(params.store, "store_id");
    const productname = parseProduct(params.product, "product_name");
    await readBodyText(request);
    const jobs = jobQueue(context);
    await assertSeries(context.db, store, productname);
    return submitJob(jobs, { kind: "train-one", data: { store, productname } }, ({ id }) =>
      reply(seedApi.trainOne, 200, { train_job_id: id, status: "SUBMITTED" }),
    );
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
