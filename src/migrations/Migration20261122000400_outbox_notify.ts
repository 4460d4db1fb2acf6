import { Migration } from "@mikro-orm/migrations";

/**
 * Every outbox row announces itself on commit (NOTIFY is delivered only if the transaction
 * commits): the relay wakes at once instead of polling, and WatchOrder streams see the change
 * from any instance. Payload: "<order id> <event type>".
 */
export class Migration20261122000400_outbox_notify extends Migration {
  override up(): void {
    this.addSql(`create function "notify_outbox_event"() returns trigger language plpgsql as $$
      begin
        perform pg_notify('outbox_events', new."aggregate_id" || ' ' || new."event_type");
        return null;
      end
    $$;`);
    this.addSql(`create trigger "outbox_events_notify" after insert on "outbox_events"
      for each row execute function "notify_outbox_event"();`);
  }
}
