// A time-series line chart drawn by ECharts, which is loaded on first use
// (its own chunk) so the first page load stays small.
import { useEffect, useRef } from 'react';

export interface Series {
  name: string;
  data: [number, number][]; // [unix ms, value]
}

export function LineChart({ series, height = 280, label }: { series: Series[]; height?: number; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let disposed = false;
    let chart: { dispose: () => void; resize: () => void } | null = null;
    const onResize = () => chart?.resize();
    void import('echarts').then((echarts) => {
      if (disposed || !ref.current) return;
      const c = echarts.init(ref.current);
      c.setOption({
        tooltip: { trigger: 'axis' },
        legend: { top: 0 },
        grid: { left: 48, right: 48, top: 36, bottom: 28 },
        xAxis: { type: 'time' },
        yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', minInterval: 1, splitLine: { show: false } }],
        series: series.map((s, i) => ({ name: s.name, type: 'line', smooth: true, showSymbol: s.data.length < 40, yAxisIndex: i === 0 ? 0 : 1, data: s.data })),
      });
      chart = c;
      window.addEventListener('resize', onResize);
    });
    return () => {
      disposed = true;
      window.removeEventListener('resize', onResize);
      chart?.dispose();
    };
  }, [series]);
  return <div ref={ref} role="img" aria-label={label} data-testid="usage-chart" style={{ width: '100%', height }} />;
}
