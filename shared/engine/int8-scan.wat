;; int8 scoring kernel: top-k of  score_i = factor_i * (q . codes_i) * qScale + add_i  over N int8 rows.
;;
;; The source of truth; shared/engine/int8-scan.wasm is built from it by `npm run build:wasm` (scripts/build-wasm.ts,
;; wabt with SIMD 128 only) and committed. The memory layout is owned by shared/engine/int8-engine.ts:
;;
;;   codes   [nPad, dPad] i8, row-major; dPad a multiple of 16, nPad = n rounded up to 4, padding zero
;;   factor  [nPad] f32     per-row multiplier (e.g. scale / |row| for cosine, scale for a raw dot product)
;;   add     [nPad] f32     per-row additive term (item biases); pointer 0 = none
;;   query   [dPad] i16     the query quantised by the caller; |q| <= 32767 and small enough that
;;                          sum_j |q_j| * 128 fits in i32 (the wrapper guarantees it), so the integer dot is exact
;;   excl    [ceil(nPad/8)] bit i set = row i is left out; pointer 0 = none
;;   heapS   [k] f32, heapI [k] i32   the top-k, a binary min-heap by "worse" order (below); unordered on return
;;
;; Every pointer must be 16-byte aligned except excl, heapS and heapI (4-byte). Rows are scanned in ascending order,
;; four at a time: per 16-byte chunk the int8 codes are sign-extended to two i16x8 halves and multiplied with the
;; query by i32x4.dot_i16x8_s; the four accumulators are reduced together by two shuffle+add rounds. A row is offered
;; to the heap only when its score beats the current k-th (strictly): since indices only grow, an equal score never
;; displaces a kept row, so ties go to the lower index, as tfjs topk orders them.
;;
;; "worse" order: a is worse than b when s_a < s_b, or s_a = s_b and i_a > i_b. The heap root is the worst kept.
;; Unfilled slots hold (-inf, 0x7fffffff), worse than any real row.
;;
;; topk_range scans rows [start, end) only, into the heap as the previous call left it (the caller empties it once;
;; the threshold starts at the heap's root), reporting rows by their index in the whole matrix: a coarse index calls
;; it once per probed partition (partitions are contiguous rows). The scan starts at start rounded down to 4, so
;; every load stays inside [0, nPad) and 16-byte aligned, and rows outside [start, end) are never offered. Ties
;; across calls go to the row offered first.
(module
  (memory (export "memory") 1)

  ;; Replaces the heap root by (idx, s), which must be better than it, and sifts it down. Returns the new root score.
  (func $replaceRoot (param $hs i32) (param $hi i32) (param $k i32) (param $idx i32) (param $s f32) (result f32)
    (local $pos i32) (local $child i32) (local $right i32) (local $cs f32) (local $ci i32) (local $rs f32) (local $ri i32)
    (block $done
      (loop $down
        (local.set $child (i32.add (i32.shl (local.get $pos) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $child) (local.get $k)))
        (local.set $cs (f32.load (i32.add (local.get $hs) (i32.shl (local.get $child) (i32.const 2)))))
        (local.set $ci (i32.load (i32.add (local.get $hi) (i32.shl (local.get $child) (i32.const 2)))))
        ;; take the worse of the two children
        (local.set $right (i32.add (local.get $child) (i32.const 1)))
        (if (i32.lt_u (local.get $right) (local.get $k))
          (then
            (local.set $rs (f32.load (i32.add (local.get $hs) (i32.shl (local.get $right) (i32.const 2)))))
            (local.set $ri (i32.load (i32.add (local.get $hi) (i32.shl (local.get $right) (i32.const 2)))))
            (if (i32.or
                  (f32.lt (local.get $rs) (local.get $cs))
                  (i32.and (f32.eq (local.get $rs) (local.get $cs)) (i32.gt_s (local.get $ri) (local.get $ci))))
              (then
                (local.set $child (local.get $right))
                (local.set $cs (local.get $rs))
                (local.set $ci (local.get $ri))))))
        ;; stop when the new entry is worse than (or equal to) that child
        (br_if $done
          (i32.eqz (i32.or
            (f32.lt (local.get $cs) (local.get $s))
            (i32.and (f32.eq (local.get $cs) (local.get $s)) (i32.gt_s (local.get $ci) (local.get $idx))))))
        (f32.store (i32.add (local.get $hs) (i32.shl (local.get $pos) (i32.const 2))) (local.get $cs))
        (i32.store (i32.add (local.get $hi) (i32.shl (local.get $pos) (i32.const 2))) (local.get $ci))
        (local.set $pos (local.get $child))
        (br $down)))
    (f32.store (i32.add (local.get $hs) (i32.shl (local.get $pos) (i32.const 2))) (local.get $s))
    (i32.store (i32.add (local.get $hi) (i32.shl (local.get $pos) (i32.const 2))) (local.get $idx))
    (f32.load (local.get $hs)))

  ;; Row idx with score s: into the heap when it beats the threshold, is in [start, end) and is not excluded.
  (func $consider (param $idx i32) (param $s f32) (param $thr f32) (param $start i32) (param $end i32) (param $excl i32)
                  (param $hs i32) (param $hi i32) (param $k i32) (result f32)
    (if (i32.eqz (f32.gt (local.get $s) (local.get $thr))) (then (return (local.get $thr))))
    (if (i32.ge_u (i32.sub (local.get $idx) (local.get $start)) (i32.sub (local.get $end) (local.get $start)))
      (then (return (local.get $thr))))
    (if (local.get $excl)
      (then
        (if (i32.and
              (i32.shr_u
                (i32.load8_u (i32.add (local.get $excl) (i32.shr_u (local.get $idx) (i32.const 3))))
                (i32.and (local.get $idx) (i32.const 7)))
              (i32.const 1))
          (then (return (local.get $thr))))))
    (call $replaceRoot (local.get $hs) (local.get $hi) (local.get $k) (local.get $idx) (local.get $s)))

  ;; The k best rows of n into heapS/heapI (k >= 1; unfilled slots stay (-inf, 0x7fffffff)).
  (func (export "topk")
    (param $codes i32) (param $dPad i32) (param $n i32) (param $factor i32) (param $add i32)
    (param $query i32) (param $qScale f32) (param $excl i32) (param $hs i32) (param $hi i32) (param $k i32)
    (local $j i32)
    ;; empty heap
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $j) (local.get $k)))
        (f32.store (i32.add (local.get $hs) (i32.shl (local.get $j) (i32.const 2))) (f32.const -inf))
        (i32.store (i32.add (local.get $hi) (i32.shl (local.get $j) (i32.const 2))) (i32.const 0x7fffffff))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $fill)))
    (call $scan (local.get $codes) (local.get $dPad) (i32.const 0) (local.get $n) (local.get $factor) (local.get $add)
      (local.get $query) (local.get $qScale) (local.get $excl) (local.get $hs) (local.get $hi) (local.get $k)))

  ;; Rows [start, end) (end <= n) into the heap as it is (see the header).
  (func (export "topk_range")
    (param $codes i32) (param $dPad i32) (param $start i32) (param $end i32) (param $factor i32) (param $add i32)
    (param $query i32) (param $qScale f32) (param $excl i32) (param $hs i32) (param $hi i32) (param $k i32)
    (call $scan (local.get $codes) (local.get $dPad) (local.get $start) (local.get $end) (local.get $factor) (local.get $add)
      (local.get $query) (local.get $qScale) (local.get $excl) (local.get $hs) (local.get $hi) (local.get $k)))

  (func $scan
    (param $codes i32) (param $dPad i32) (param $start i32) (param $stop i32) (param $factor i32) (param $add i32)
    (param $query i32) (param $qScale f32) (param $excl i32) (param $hs i32) (param $hi i32) (param $k i32)
    (local $r i32) (local $thr f32) (local $qs v128) (local $thrv v128)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $end i32) (local $q i32)
    (local $qlo v128) (local $qhi v128) (local $c v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $sc v128)
    ;; the threshold is the heap's root: -inf while it has free slots
    (local.set $thr (f32.load (local.get $hs)))
    (local.set $thrv (f32x4.splat (local.get $thr)))
    (local.set $qs (f32x4.splat (local.get $qScale)))
    (local.set $r (i32.and (local.get $start) (i32.const -4)))
    (local.set $p0 (i32.add (local.get $codes) (i32.mul (local.get $r) (local.get $dPad))))
    (block $scanned
      (loop $rows
        (br_if $scanned (i32.ge_u (local.get $r) (local.get $stop)))
        (local.set $p1 (i32.add (local.get $p0) (local.get $dPad)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $dPad)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $dPad)))
        (local.set $end (local.get $p1))
        (local.set $q (local.get $query))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (loop $chunks
          (local.set $qlo (v128.load (local.get $q)))
          (local.set $qhi (v128.load offset=16 (local.get $q)))
          (local.set $c (v128.load (local.get $p0)))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $qlo) (i16x8.extend_low_i8x16_s (local.get $c)))
            (i32x4.dot_i16x8_s (local.get $qhi) (i16x8.extend_high_i8x16_s (local.get $c))))))
          (local.set $c (v128.load (local.get $p1)))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $qlo) (i16x8.extend_low_i8x16_s (local.get $c)))
            (i32x4.dot_i16x8_s (local.get $qhi) (i16x8.extend_high_i8x16_s (local.get $c))))))
          (local.set $c (v128.load (local.get $p2)))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $qlo) (i16x8.extend_low_i8x16_s (local.get $c)))
            (i32x4.dot_i16x8_s (local.get $qhi) (i16x8.extend_high_i8x16_s (local.get $c))))))
          (local.set $c (v128.load (local.get $p3)))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.add
            (i32x4.dot_i16x8_s (local.get $qlo) (i16x8.extend_low_i8x16_s (local.get $c)))
            (i32x4.dot_i16x8_s (local.get $qhi) (i16x8.extend_high_i8x16_s (local.get $c))))))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
          (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
          (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
          (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
          (br_if $chunks (i32.lt_u (local.get $p0) (local.get $end))))
        ;; [a0 a1 a2 a3] -> [sum a0, sum a1, sum a2, sum a3]:
        ;; a01 = [a0.0+a0.2, a1.0+a1.2, a0.1+a0.3, a1.1+a1.3], a23 likewise, then one more round.
        (local.set $a0 (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $a2 (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (local.set $a0 (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a2))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a2))))
        ;; scores, in this order of f32 operations: ((f32(dot) * factor) * qScale) + add
        (local.set $sc (f32x4.mul
          (f32x4.mul (f32x4.convert_i32x4_s (local.get $a0))
                     (v128.load (i32.add (local.get $factor) (i32.shl (local.get $r) (i32.const 2)))))
          (local.get $qs)))
        (if (local.get $add)
          (then (local.set $sc (f32x4.add (local.get $sc)
            (v128.load (i32.add (local.get $add) (i32.shl (local.get $r) (i32.const 2))))))))
        (if (v128.any_true (f32x4.gt (local.get $sc) (local.get $thrv)))
          (then
            (local.set $thr (call $consider (local.get $r) (f32x4.extract_lane 0 (local.get $sc)) (local.get $thr)
              (local.get $start) (local.get $stop) (local.get $excl) (local.get $hs) (local.get $hi) (local.get $k)))
            (local.set $thr (call $consider (i32.add (local.get $r) (i32.const 1)) (f32x4.extract_lane 1 (local.get $sc))
              (local.get $thr) (local.get $start) (local.get $stop) (local.get $excl) (local.get $hs) (local.get $hi) (local.get $k)))
            (local.set $thr (call $consider (i32.add (local.get $r) (i32.const 2)) (f32x4.extract_lane 2 (local.get $sc))
              (local.get $thr) (local.get $start) (local.get $stop) (local.get $excl) (local.get $hs) (local.get $hi) (local.get $k)))
            (local.set $thr (call $consider (i32.add (local.get $r) (i32.const 3)) (f32x4.extract_lane 3 (local.get $sc))
              (local.get $thr) (local.get $start) (local.get $stop) (local.get $excl) (local.get $hs) (local.get $hi) (local.get $k)))
            (local.set $thrv (f32x4.splat (local.get $thr)))))
        ;; the next group starts after the fourth row
        (local.set $p0 (local.get $p3))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rows)))))
