# ci/bench/chart.gp: the bench chart, a grouped bar chart of each load's throughput per server on a
# log scale. ci/bench/run runs `gnuplot -e "svg='OUT'" DATA ci/bench/chart.gp`, where DATA is what
# `bench-json chart RESULTS.json` writes (title, ncols and the $data block; ci/bench/results.c).
set terminal svg size 960,540 dynamic font "DejaVu Sans,12" background "#ffffff"
set output svg
set termoption noenhanced
set title title font ",13"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border rgb "#333333"
set boxwidth 1
set logscale y 10
set format y "%.0s%c"
set ylabel "records/s (requests/s where marked), log scale"
set grid ytics lc rgb "#dddddd"
set xtics nomirror rotate by -20 scale 0
set ytics nomirror
set border 3
set key outside top center horizontal
set key autotitle columnheader
set linetype 1 lc rgb "#1f6fb2"
set linetype 2 lc rgb "#e08a1e"
set linetype 3 lc rgb "#7a7a7a"
set linetype 4 lc rgb "#3c9a4b"
# each bar's figure above it: a cluster of n bars is centred on its row number, each bar 1/(n+1)
# wide. A 0 (no answer inside the measured window) has no bar on a log scale: its label sits on the
# axis; NaN (the server did not run the load) shows nothing.
n = ncols - 1
ymin = 10
short(v) = v >= 1e6 ? sprintf("%.3gM", v / 1e6) : v >= 1e3 ? sprintf("%.3gk", v / 1e3) : sprintf("%.3g", v)
set yrange [ymin:*]
plot for [i=2:ncols] $data using (column(i) > 0 ? column(i) : NaN):xtic(1) title columnheader(i), \
     for [i=2:ncols] $data using ($0 + (i - 2 - (n - 1) / 2.0) / (n + 1.0)):(column(i) > 0 ? column(i) : ymin * 1.2): \
         (short(column(i))) with labels center offset 0,0.6 font ",9" notitle
