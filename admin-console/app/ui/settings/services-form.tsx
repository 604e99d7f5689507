"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { saveServices } from "@/app/lib/actions";
import type { Business, Service, ServiceInput } from "@/app/lib/definitions";

import { Field, SaveBar, intOrRaw } from "./field";
import { useSave } from "./use-save";

type Row = { key: number; id: number | null; name: string; duration: string; price: string; currency: string };

let nextKey = 1;
const toRow = (s: Service): Row => ({
  key: nextKey++,
  id: s.id,
  name: s.name,
  duration: String(s.duration_minutes),
  price: s.price,
  currency: s.currency,
});

/** The service list: rows are edited locally and replace the list in one request. */
export function ServicesForm({ business }: { business: Business }) {
  const [rows, setRows] = useState<Row[]>(() => business.services.map(toRow));
  const { pending, result, save, errorFor, unplaced } = useSave();
  const t = useTranslations("settings.services");
  const defaultCurrency = business.services[0]?.currency ?? "EUR";

  const update = (key: number, change: Partial<Row>) =>
    setRows((current) => current.map((r) => (r.key === key ? { ...r, ...change } : r)));

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const services: ServiceInput[] = rows.map((r) => ({
      ...(r.id ? { id: r.id } : {}),
      name: r.name.trim(),
      duration_minutes: intOrRaw(r.duration) as number,
      price: r.price.trim() === "" ? 0 : r.price.trim(),
      currency: r.currency.trim().toUpperCase(),
    }));
    save(
      () => saveServices(business.id, services),
      (saved) => {
        if (saved) setRows(saved.map(toRow));
      },
    );
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="services-title" noValidate>
      <div className="card-head">
        <h2 id="services-title">{t("title")}</h2>
        <span className="muted small">{t("hint")}</span>
      </div>
      <div className="rows">
        {rows.length === 0 ? <p className="muted">{t("none")}</p> : null}
        {rows.map((row, i) => {
          const n = i + 1;
          const path = `services.${i}`;
          return (
            <fieldset key={row.key} className="service-row" data-testid="service-row">
              <legend className="visually-hidden">{t("service", { n })}</legend>
              <Field
                className="name"
                label={
                  <>
                    <span className="visually-hidden">{t("service", { n })} </span>
                    {t("name")}
                  </>
                }
                value={row.name}
                onChange={(e) => update(row.key, { name: e.target.value })}
                error={errorFor(`${path}.name`)}
                maxLength={200}
              />
              <Field
                label={
                  <>
                    <span className="visually-hidden">{t("service", { n })} </span>
                    {t("duration")}
                  </>
                }
                type="number"
                inputMode="numeric"
                min={1}
                max={720}
                value={row.duration}
                onChange={(e) => update(row.key, { duration: e.target.value })}
                error={errorFor(`${path}.duration_minutes`)}
              />
              <Field
                label={
                  <>
                    <span className="visually-hidden">{t("service", { n })} </span>
                    {t("price")}
                  </>
                }
                inputMode="decimal"
                value={row.price}
                onChange={(e) => update(row.key, { price: e.target.value })}
                error={errorFor(`${path}.price`)}
              />
              <Field
                label={
                  <>
                    <span className="visually-hidden">{t("service", { n })} </span>
                    {t("currency")}
                  </>
                }
                value={row.currency}
                maxLength={3}
                onChange={(e) => update(row.key, { currency: e.target.value })}
                error={errorFor(`${path}.currency`)}
              />
              <button
                type="button"
                className="secondary remove"
                aria-label={row.name ? t("removeNamed", { n, name: row.name }) : t("removeAria", { n })}
                onClick={() => setRows((current) => current.filter((r) => r.key !== row.key))}
              >
                {t("remove")}
              </button>
            </fieldset>
          );
        })}
      </div>
      <div className="form-actions">
        <button
          type="button"
          className="secondary"
          onClick={() =>
            setRows((current) => [
              ...current,
              { key: nextKey++, id: null, name: "", duration: "30", price: "0.00", currency: defaultCurrency },
            ])
          }
        >
          {t("add")}
        </button>
      </div>
      <SaveBar
        pending={pending}
        result={result}
        label={t("save")}
        leftover={unplaced((p) => /^services\.\d+\.(name|duration_minutes|price|currency)$/.test(p))}
      />
    </form>
  );
}
