import { Migration } from "@mikro-orm/migrations";

/**
 * A sequence per aggregate (an order, a cart) on every event, contiguous from 1. A trigger assigns
 * it as the row is inserted, so every writer gets it, and it is undone with a rolled-back
 * transaction: no gaps. The counter row stays locked until commit, so two transactions writing one
 * order's events take their sequences, and their outbox ids, one after the other.
 *
 * The payload gets the sequence too: field 9 of OrderEvent and CartEvent (`sequence`), appended as
 * protobuf bytes (a field may come in any order on the wire), because Debezium publishes the
 * row's bytes as they are.
 */
export class Migration20261206000000_event_sequences extends Migration {
  override up(): void {
    this.addSql(`create table "event_sequences" (
      "topic" varchar(255) not null,
      "aggregate_id" varchar(255) not null,
      "last_sequence" bigint not null,
      constraint "event_sequences_pkey" primary key ("topic", "aggregate_id"));`);
    this.addSql(`alter table "outbox_events" add column "sequence" bigint null;`);
    this.addSql(`create function "assign_event_sequence"() returns trigger language plpgsql as $$
      declare
        rest bigint;
        varint bytea := ''::bytea;
      begin
        insert into "event_sequences" as s ("topic", "aggregate_id", "last_sequence")
          values (new."topic", new."aggregate_id", 1)
          on conflict ("topic", "aggregate_id") do update set "last_sequence" = s."last_sequence" + 1
          returning "last_sequence" into new."sequence";
        -- The id is taken again under the counter's lock, so id order is sequence order within an aggregate.
        new."id" := nextval('"outbox_events_id_seq"');
        -- Field 9 as a varint (tag 0x48): seven bits a byte, low first, the high bit on all but the last.
        rest := new."sequence";
        while rest >= 128 loop
          varint := varint || set_byte('\\x00'::bytea, 0, ((rest & 127) | 128)::int);
          rest := rest >> 7;
        end loop;
        new."payload" := new."payload" || '\\x48'::bytea || varint || set_byte('\\x00'::bytea, 0, rest::int);
        return new;
      end
    $$;`);
    this.addSql(`create trigger "outbox_events_sequence" before insert on "outbox_events"
      for each row execute function "assign_event_sequence"();`);
  }

  override down(): void {
    this.addSql(`drop trigger "outbox_events_sequence" on "outbox_events";`);
    this.addSql(`drop function "assign_event_sequence"();`);
    this.addSql(`alter table "outbox_events" drop column "sequence";`);
    this.addSql(`drop table "event_sequences";`);
  }
}
