import { Migration } from "@mikro-orm/migrations";

/** The reference catalog served when no Product/Inventory service is configured. */
const products: [id: string, sku: string, name: string, priceMinor: number, active: boolean, available: number][] = [
  ["prod-mug", "MUG-001", "Stoneware mug", 1250, true, 500],
  ["prod-tee", "TEE-001", "Organic cotton tee", 2400, true, 500],
  ["prod-cap", "CAP-001", "Canvas cap", 1899, true, 500],
  ["prod-bottle", "BTL-001", "Steel water bottle", 3199, true, 500],
  ["prod-notebook", "NTB-001", "Dotted notebook", 899, true, 500],
  ["prod-backpack", "BPK-001", "Roll-top backpack", 8900, true, 200],
  ["prod-socks", "SCK-001", "Merino socks", 1500, true, 1000],
  ["prod-lamp", "LMP-001", "Desk lamp", 4599, true, 100],
  ["prod-poster", "PST-001", "Limited poster", 2999, true, 10],
  ["prod-retired", "OLD-001", "Retired sticker pack", 499, false, 0],
];

export class Migration20261122000100_reference_catalog extends Migration {
  override up(): void {
    for (const [id, sku, name, priceMinor, active, available] of products) {
      this.addSql(
        `insert into "catalog_products" ("id","sku","name","currency","price_minor","active","image_url","available")
         values ('${id}','${sku}','${name}','USD',${priceMinor},${active},'https://img.example.com/${id}.jpg',${available})
         on conflict ("id") do nothing;`,
      );
    }
  }
}
