import { Migration20261122000000_initial } from "./Migration20261122000000_initial.js";
import { Migration20261122000100_reference_catalog } from "./Migration20261122000100_reference_catalog.js";
import { Migration20261122000200_idempotency_claims } from "./Migration20261122000200_idempotency_claims.js";
import { Migration20261122000300_carts } from "./Migration20261122000300_carts.js";
import { Migration20261122000400_outbox_notify } from "./Migration20261122000400_outbox_notify.js";
import { Migration20261122000500_outbox_traceparent } from "./Migration20261122000500_outbox_traceparent.js";
import { Migration20261123000000_reservation_leases } from "./Migration20261123000000_reservation_leases.js";
import { Migration20261128000000_entity_names } from "./Migration20261128000000_entity_names.js";
import { Migration20261128100000_marketplace } from "./Migration20261128100000_marketplace.js";
import { Migration20261204000000_outbox_parking } from "./Migration20261204000000_outbox_parking.js";
import { Migration20261204200000_fulfilment } from "./Migration20261204200000_fulfilment.js";
import { Migration20261204100000_stock_locations } from "./Migration20261204100000_stock_locations.js";
import { Migration20261205000000_money_ledger } from "./Migration20261205000000_money_ledger.js";
import { Migration20261205100000_order_changes } from "./Migration20261205100000_order_changes.js";
import { Migration20261205200000_payment_trail } from "./Migration20261205200000_payment_trail.js";
import { Migration20261205300000_exchanges } from "./Migration20261205300000_exchanges.js";
import { Migration20261205400000_cart_holds } from "./Migration20261205400000_cart_holds.js";
import { Migration20261205500000_guest_carts } from "./Migration20261205500000_guest_carts.js";
import { Migration20261205600000_cart_events } from "./Migration20261205600000_cart_events.js";
import { Migration20261206000000_event_sequences } from "./Migration20261206000000_event_sequences.js";
import { Migration20261206100000_outbox_publication } from "./Migration20261206100000_outbox_publication.js";

/** Listed explicitly so the compiled service needs no file discovery. Append, never edit. */
export const migrations = [
  { name: "Migration20261122000000_initial", class: Migration20261122000000_initial },
  { name: "Migration20261122000100_reference_catalog", class: Migration20261122000100_reference_catalog },
  { name: "Migration20261122000200_idempotency_claims", class: Migration20261122000200_idempotency_claims },
  { name: "Migration20261122000300_carts", class: Migration20261122000300_carts },
  { name: "Migration20261122000400_outbox_notify", class: Migration20261122000400_outbox_notify },
  { name: "Migration20261122000500_outbox_traceparent", class: Migration20261122000500_outbox_traceparent },
  { name: "Migration20261123000000_reservation_leases", class: Migration20261123000000_reservation_leases },
  { name: "Migration20261128000000_entity_names", class: Migration20261128000000_entity_names },
  { name: "Migration20261128100000_marketplace", class: Migration20261128100000_marketplace },
  { name: "Migration20261204000000_outbox_parking", class: Migration20261204000000_outbox_parking },
  { name: "Migration20261204100000_stock_locations", class: Migration20261204100000_stock_locations },
  { name: "Migration20261204200000_fulfilment", class: Migration20261204200000_fulfilment },
  { name: "Migration20261205000000_money_ledger", class: Migration20261205000000_money_ledger },
  { name: "Migration20261205100000_order_changes", class: Migration20261205100000_order_changes },
  { name: "Migration20261205200000_payment_trail", class: Migration20261205200000_payment_trail },
  { name: "Migration20261205300000_exchanges", class: Migration20261205300000_exchanges },
  { name: "Migration20261205400000_cart_holds", class: Migration20261205400000_cart_holds },
  { name: "Migration20261205500000_guest_carts", class: Migration20261205500000_guest_carts },
  { name: "Migration20261205600000_cart_events", class: Migration20261205600000_cart_events },
  { name: "Migration20261206000000_event_sequences", class: Migration20261206000000_event_sequences },
  { name: "Migration20261206100000_outbox_publication", class: Migration20261206100000_outbox_publication },
];
