// Placeholders while a segment loads; `label` is what screen readers hear.

export function Lines({ count = 4 }: { count?: number }) {
  return (
    <>
      {Array.from({ length: count }, (_, i) => (
        <div key={i} className="skeleton sk-line" style={{ width: `${92 - ((i * 17) % 40)}%` }} />
      ))}
    </>
  );
}

export function CardSkeleton({ label, lines = 4 }: { label: string; lines?: number }) {
  return (
    <div className="card" role="status" aria-live="polite" aria-label={label}>
      <div className="skeleton sk-line" style={{ width: "35%", height: "1.2rem" }} />
      <Lines count={lines} />
    </div>
  );
}

export function ChatSkeleton({ label = "Loading messages" }: { label?: string }) {
  return (
    <div className="chat" role="status" aria-label={label}>
      {[60, 45, 70, 40].map((w, i) => (
        <div
          key={i}
          className="skeleton"
          style={{ height: "2.2rem", width: `${w}%`, alignSelf: i % 2 ? "flex-end" : "flex-start" }}
        />
      ))}
    </div>
  );
}

export function PageSkeleton({ label }: { label: string }) {
  return (
    <div className="page" role="status" aria-label={label}>
      <div className="skeleton sk-line" style={{ width: "30%", height: "1.6rem" }} />
      <div className="grid-main-side" style={{ marginTop: "1rem" }}>
        <div className="card">
          <Lines count={6} />
        </div>
        <div className="card">
          <Lines count={4} />
        </div>
      </div>
    </div>
  );
}

export function SectionSkeleton({ label }: { label: string }) {
  return (
    <div className="grid-main-side" role="status" aria-label={label}>
      <div className="card">
        <Lines count={7} />
      </div>
      <div className="card hide-phone">
        <Lines count={4} />
      </div>
    </div>
  );
}
