/**
 * The report's stylesheet (inlined). Series colours are CSS variables so one SVG drawing serves both the
 * light and the dark theme (prefers-color-scheme); the palette stays distinguishable for common colour
 * blindness (blue/orange/purple/red ramp, dashes for "intended" lines).
 */
export const REPORT_CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1d232b;--muted:#5b6675;--card:#f5f7fa;--line:#d5dbe3;--grid:#e6eaf0;
--p50:#2f6fdf;--p90:#8a4fd3;--p99:#e0731c;--max:#c9303e;--tput:#2f6fdf;--sched:#6b7785;--err:#c9303e;--lag:#8a4fd3;
--crit:#e0731c;--span:#9fb3cc;--ok:#1b7f3b;--warn:#a86200;--bad:#c9303e;--band:rgba(107,119,133,.12);
--run0:#2f6fdf;--run1:#e0731c;--run2:#1b9e77;--run3:#c9303e;--run4:#8a4fd3;--run5:#6b7785;
--t0:#4e79a7;--t1:#f28e2b;--t2:#59a14f;--t3:#e15759;--t4:#76b7b2;--t5:#edc948;--t6:#b07aa1;--t7:#9c755f}
@media (prefers-color-scheme:dark){:root{--bg:#14181e;--fg:#e3e8ef;--muted:#9aa6b5;--card:#1d232b;--line:#38414d;--grid:#29313b;
--p50:#6aa3ff;--p90:#b98cf0;--p99:#ffa54f;--max:#ff6b78;--tput:#6aa3ff;--sched:#9aa6b5;--err:#ff6b78;--lag:#b98cf0;
--crit:#ffa54f;--span:#51647d;--ok:#4cc477;--warn:#f0b050;--bad:#ff6b78;--band:rgba(154,166,181,.14);
--run0:#6aa3ff;--run1:#ffa54f;--run2:#4fd1a5;--run3:#ff6b78;--run4:#b98cf0;--run5:#9aa6b5}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1200px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:22px 0 8px}h4{font-size:14px;margin:12px 0 6px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.meta,.note{color:var(--muted);font-size:12px;margin:4px 0}
.verdict{font-weight:600;font-size:16px;padding:8px 12px;border-radius:6px;border-left:5px solid;background:var(--card);margin:8px 0}
.verdict.ok{border-color:var(--ok)}.verdict.warn{border-color:var(--warn)}.verdict.bad{border-color:var(--bad);color:var(--bad)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px;margin:8px 0}
.kpi{background:var(--card);border-radius:6px;padding:8px 12px}.kpi dt{color:var(--muted);font-size:12px}
.kpi dd{margin:0;font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}.kpi small{color:var(--muted);font-size:11px}
.reasons{margin:4px 0;padding-left:20px;color:var(--warn)}
figure.chart{margin:12px 0 18px;background:var(--card);border-radius:6px;padding:8px 10px}
figcaption{font-weight:600;font-size:13px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--muted);margin:4px 0}
.legend-item{display:inline-flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:18px;height:0;border-top:3px solid currentColor}
.swatch.dashed{border-top-style:dashed}.swatch.box{height:10px;border:0;background:currentColor}
svg{width:100%;height:auto;display:block;overflow:visible}
svg text{fill:var(--muted);font-size:12px}svg .axis-label{fill:var(--fg)}
.grid{stroke:var(--grid);stroke-width:1}.frame{fill:none;stroke:var(--line)}
.series.line{fill:none;stroke:currentColor;stroke-width:1.8;stroke-linejoin:round}.series.dashed{stroke-dasharray:6 4}
.series.bars,.series.points{fill:currentColor}.series.band-fill{fill:currentColor;fill-opacity:.14;stroke:none}.series.points circle{stroke:var(--card);stroke-width:1.5}
.band rect{fill:var(--band)}.b-linear rect{fill:rgba(27,158,119,.10)}.b-contention rect{fill:rgba(224,115,28,.10)}.b-coherence rect{fill:rgba(201,48,62,.12)}.band text{font-size:11px}
.marker line{stroke:currentColor;stroke-dasharray:4 3;stroke-width:1.5}.marker text{fill:currentColor;font-weight:600}
.hover rect{fill:transparent}.hover rect:hover{fill:var(--band)}
.c-p50{color:var(--p50)}.c-p90{color:var(--p90)}.c-p99{color:var(--p99)}.c-max{color:var(--max)}.c-tput{color:var(--tput)}
.c-sched{color:var(--sched)}.c-err{color:var(--err)}.c-lag{color:var(--lag)}.c-crit{color:var(--crit)}.c-span{color:var(--span)}
.c-run0{color:var(--run0)}.c-run1{color:var(--run1)}.c-run2{color:var(--run2)}.c-run3{color:var(--run3)}.c-run4{color:var(--run4)}.c-run5{color:var(--run5)}
.t0{color:var(--t0)}.t1{color:var(--t1)}.t2{color:var(--t2)}.t3{color:var(--t3)}.t4{color:var(--t4)}.t5{color:var(--t5)}.t6{color:var(--t6)}.t7{color:var(--t7)}
.tier rect{fill:currentColor;stroke:var(--card);stroke-width:1}.tier text{fill:#fff;font-size:11px;font-weight:600}
.span rect{fill:var(--span)}.span.critical rect{fill:var(--crit)}.span.critical .span-label{fill:var(--fg);font-weight:600}

.span.error rect{fill:var(--err)}.critical-sections rect{fill:var(--fg)}.c-fg{color:var(--fg)}
.span-label{font:11px ui-monospace,SFMono-Regular,Menlo,monospace}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13px}
table.requests{width:100%}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th.name,td.name,table.health th,thead th:first-child{text-align:left}td.name,th.name{white-space:normal;overflow-wrap:anywhere;min-width:120px}
td.statuses{text-align:left;color:var(--muted);white-space:normal;min-width:90px}
thead th{color:var(--muted);font-weight:600}tfoot tr.total th,tfoot tr.total td{font-weight:600;border-top:2px solid var(--line)}
table.health{margin:6px 0}table.health td{text-align:left}
.findings{padding-left:0;list-style:none}.finding{background:var(--card);border-radius:6px;padding:8px 12px;margin:8px 0}
.finding h4{margin:0 0 4px}details>summary{cursor:pointer;color:var(--muted);margin:6px 0}.finding dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
.finding dt{color:var(--muted)}.finding dd{margin:0}.finding .saving{font-weight:600;color:var(--ok)}
.verdicts td:first-child,.verdicts th:first-child{text-align:left}
.better{color:var(--ok);font-weight:600}.worse{color:var(--bad);font-weight:600}.same{color:var(--muted)}
nav.toc{font-size:13px;color:var(--muted)}nav.toc a{color:inherit;margin-right:12px}
@media (max-width:900px){main{padding:10px}.kpi dd{font-size:17px}svg text{font-size:14px}.span-label{font-size:13px}th,td{padding:3px 5px}.opt{display:none}}
`;
