;; One SGD epoch of biased matrix factorisation, r(u,i) ~ mu + b_u + b_i + p_u . q_i, with 128-bit SIMD (four f32
;; lanes): the kernel of training/models/mf-kernel.ts. All pointers are byte offsets into the exported memory; the
;; factor rows are `d` f32 wide (d a multiple of 4, rows 16-byte aligned). Per row of `order`: the dot product in
;; four lanes, err = rating - prediction, then b += lr (err - regBias b) and, with the old p and q,
;; p += lr (err q - reg p), q += lr (err p - reg q). Returns the sum of squared errors (f64).
;; Assembled by wabt (test/training/mf-kernel.test.ts checks mf-sgd.wasm is what this text builds to).
(module
  (memory (export "memory") 1)
  (func (export "epoch")
    (param $order i32) (param $n i32) (param $user i32) (param $item i32) (param $rating i32)
    (param $P i32) (param $Q i32) (param $bu i32) (param $bi i32) (param $d i32)
    (param $mu f32) (param $lr f32) (param $reg f32) (param $regBias f32) (param $bias i32)
    (result f64)
    (local $k i32) (local $row i32) (local $ub i32) (local $ib i32) (local $pu i32) (local $qi i32)
    (local $f i32) (local $width i32) (local $acc v128) (local $pv v128) (local $qv v128)
    (local $verr v128) (local $vreg v128) (local $vlr v128) (local $pred f32) (local $err f32) (local $sse f64)
    (local.set $vreg (f32x4.splat (local.get $reg)))
    (local.set $vlr (f32x4.splat (local.get $lr)))
    (local.set $width (i32.shl (local.get $d) (i32.const 2)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $row (i32.shl (i32.load (i32.add (local.get $order) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2)))
        (local.set $ub (i32.shl (i32.load (i32.add (local.get $user) (local.get $row))) (i32.const 2)))
        (local.set $ib (i32.shl (i32.load (i32.add (local.get $item) (local.get $row))) (i32.const 2)))
        (local.set $pu (i32.add (local.get $P) (i32.mul (local.get $ub) (local.get $d))))
        (local.set $qi (i32.add (local.get $Q) (i32.mul (local.get $ib) (local.get $d))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $f (i32.const 0))
        (block $dotDone
          (loop $dot
            (br_if $dotDone (i32.ge_u (local.get $f) (local.get $width)))
            (local.set $acc
              (f32x4.add (local.get $acc)
                (f32x4.mul (v128.load (i32.add (local.get $pu) (local.get $f))) (v128.load (i32.add (local.get $qi) (local.get $f))))))
            (local.set $f (i32.add (local.get $f) (i32.const 16)))
            (br $dot)))
        (local.set $pred
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (if (local.get $bias)
          (then
            (local.set $pred
              (f32.add
                (f32.add (local.get $mu)
                  (f32.add (f32.load (i32.add (local.get $bu) (local.get $ub))) (f32.load (i32.add (local.get $bi) (local.get $ib)))))
                (local.get $pred)))))
        (local.set $err (f32.sub (f32.load (i32.add (local.get $rating) (local.get $row))) (local.get $pred)))
        (local.set $sse (f64.add (local.get $sse) (f64.promote_f32 (f32.mul (local.get $err) (local.get $err)))))
        (if (local.get $bias)
          (then
            (f32.store (i32.add (local.get $bu) (local.get $ub))
              (f32.add (f32.load (i32.add (local.get $bu) (local.get $ub)))
                (f32.mul (local.get $lr)
                  (f32.sub (local.get $err) (f32.mul (local.get $regBias) (f32.load (i32.add (local.get $bu) (local.get $ub))))))))
            (f32.store (i32.add (local.get $bi) (local.get $ib))
              (f32.add (f32.load (i32.add (local.get $bi) (local.get $ib)))
                (f32.mul (local.get $lr)
                  (f32.sub (local.get $err) (f32.mul (local.get $regBias) (f32.load (i32.add (local.get $bi) (local.get $ib))))))))))
        (local.set $verr (f32x4.splat (local.get $err)))
        (local.set $f (i32.const 0))
        (block $updDone
          (loop $upd
            (br_if $updDone (i32.ge_u (local.get $f) (local.get $width)))
            (local.set $pv (v128.load (i32.add (local.get $pu) (local.get $f))))
            (local.set $qv (v128.load (i32.add (local.get $qi) (local.get $f))))
            (v128.store (i32.add (local.get $pu) (local.get $f))
              (f32x4.add (local.get $pv)
                (f32x4.mul (local.get $vlr)
                  (f32x4.sub (f32x4.mul (local.get $verr) (local.get $qv)) (f32x4.mul (local.get $vreg) (local.get $pv))))))
            (v128.store (i32.add (local.get $qi) (local.get $f))
              (f32x4.add (local.get $qv)
                (f32x4.mul (local.get $vlr)
                  (f32x4.sub (f32x4.mul (local.get $verr) (local.get $pv)) (f32x4.mul (local.get $vreg) (local.get $qv))))))
            (local.set $f (i32.add (local.get $f) (i32.const 16)))
            (br $upd)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows)))
    (local.get $sse)))
