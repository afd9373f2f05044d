"""Inference that learns the noise from the control areas: placebo schedules.

Why: with three treated areas out of fourteen, every cluster bootstrap fails. The robust
estimator's per-area terms come almost only from the treated areas, a studentised sum of
three terms can never exceed √3, and the bootstrap interval is (0, ∞) nearly every time.
With more treated areas but few areas in all (14–20), the bootstrap is still too
conservative (size 1–3%): its per-area terms carry the week effects' error, which the
real statistic's studentisation does not see the same way. The information about "how big is the noise" is in the *untreated* areas,
and this module takes it from there, after Conley & Taber (2011), Ferman & Pinto (2019) and
the randomization inference of MacKinnon & Webb (2020).

* Each treated area has a **schedule**: the weeks whose counts are imputed (``target``)
  and the weeks left out of its own area effect (``exclude``: its treated weeks; for the
  pre-trend test also the weeks just before the start).
* A **placebo** gives a control area (never treated by this type) the schedule of a
  treated area, takes those weeks out of the untreated fit and imputes them, exactly as the
  estimator does for the treated area (:class:`Refitter`: matches full refits to a few
  hundredths of a count).
* Every statistic, observed and placebo, is studentised: ``t = Σ (y − r·m̂) / √V`` with
  ``V`` = Var(Σ y) + Var(Σ m̂), from a negative-binomial variance function ``σ²μ + κμ²``
  (fitted on out-of-sample residuals of the untreated cells) and the exact linearised
  (sandwich) variance of the imputed total through every fitted effect. Studentising is what
  makes areas of different size comparable (Ferman & Pinto); the placebos then check and
  calibrate it.

Two references (the pipeline picks by design; see ``inference.py``):

* :class:`AssignmentTest` (randomization inference; used for a single treated area): ``|t|``
  over assignments of the treated schedules to distinct control areas, all of them when
  there are few, else a seeded sample. No normal approximation; exact when the studentised
  placebo sums are exchangeable with the treated ones. Assigning several schedules at once
  takes several controls out of the fit, which makes the placebos noisier than the observed
  statistic (it over-rejected at 3 treated areas of 14), so it is not used for more.
* :class:`CalibratedTest` (two or more treated areas): ``V`` scaled by the mean of e²/V over
  (control area, treated schedule) pairs, one control out of the fit at a time, and a t
  reference whose degrees of freedom reflect how many control areas the scale was learnt
  from (Satterthwaite). The scale absorbs what the variance function misses, e.g. serially
  correlated weeks.

Both invert into intervals. An assignment test with fewer than 19 assignments cannot reject
at 5%, and a statistic can stay below the critical value however large the ratio (very
short or very noisy schedules): then the bound is infinite and the pipeline reports that
the data cannot tell, never the interval.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.optimize import brentq

#: Enumerate every assignment when there are at most this many; otherwise sample.
MAX_ENUMERATED = 2_000
#: A 5% test needs at least 19 assignments besides the observed one.
MIN_ASSIGNMENTS = 19
#: Placebo pairs used to calibrate the variance scale (a seeded sample beyond this).
MAX_CALIBRATION_PAIRS = 400
_LOG_SEARCH = 12.0  # as in the bootstrap: beyond a ratio of e^12 the data do not bound it
_CHUNK = 64
#: Alternating updates after the Newton step (the imputed totals then match exact refits to a
#: few hundredths of a count): always in panels of up to this many areas, where one area is
#: a noticeable share of each week's effect ...
_SWEEPS = 4
_SWEEP_MAX_AREAS = 30
#: ... and in bigger ones when several areas leave at once, if the assignment × area × week
#: arrays they need stay this small.
_SWEEP_CELLS = 20_000_000
#: Iterative refinement steps for the Newton system before falling back to a direct solve.
_MAX_REFINE = 50


# --- the untreated fit as dense arrays, and the variance function ---------------------------


def _fit_variance(mean: np.ndarray, sq: np.ndarray, var_delta: np.ndarray, area: np.ndarray) -> tuple[float, float]:
    """(σ², κ) of Var(y) = σ²μ + κμ² from out-of-sample residuals, one equation per area.

    ``mean`` is the leave-area-out mean; it carries the week effects' error (variance
    ``var_delta``), so E[sq] = Var(y) + μ² var_delta. Per-cell regressions on ``mean`` are
    biased by that error (errors in variables); the area sums over weeks are not, so the
    fit is area-level least squares of Σsq/Σμ on (1, Σμ²/Σμ).
    """
    mu1 = mean * np.exp(-var_delta / 2)
    mu2 = mean**2 * np.exp(-var_delta)
    excess = sq - mu2 * var_delta
    n_a = int(area.max()) + 1
    s1 = np.bincount(area, weights=mu1, minlength=n_a)
    s2 = np.bincount(area, weights=mu2, minlength=n_a)
    se = np.bincount(area, weights=excess, minlength=n_a)
    ok = s1 > 0
    x, z = s2[ok] / s1[ok], se[ok] / s1[ok]
    if ok.sum() >= 3 and np.ptp(x) > 0:
        A = np.stack([np.ones_like(x), x], axis=1)
        sigma2, kappa = (float(c) for c in np.linalg.lstsq(A, z, rcond=None)[0])
    else:
        sigma2, kappa = float(se.sum() / s1.sum()), 0.0
    if kappa < 0:
        kappa, sigma2 = 0.0, float(se.sum() / s1.sum())
    if sigma2 <= 0:
        sigma2 = 1e-3
        kappa = max(float((se.sum() - sigma2 * s1.sum()) / s2.sum()), 0.0)
    return sigma2, kappa


class Grid:
    """The untreated fit of one type laid out as dense area × week arrays.

    Built once per untreated fit; every placebo and the observed statistic are computed
    from it.
    """

    def __init__(self, panel, model):
        A, T = panel.n_areas, int(panel.week.max()) + 1
        self.A, self.T = A, T
        Y = np.zeros((A, T))
        Y[panel.area, panel.week] = panel.y
        inn = np.zeros((A, T), dtype=bool)
        inn[panel.area[model.u_rows], panel.week[model.u_rows]] = True
        off = np.zeros((A, T))
        if model.other:
            off[panel.area, panel.week] = panel.D[:, model.other] @ model.gamma
        alpha = np.full(A, np.nan)
        ok_a = model.area_map >= 0
        alpha[ok_a] = model.alpha[model.area_map[ok_a]]
        self.Y, self.inn, self.off = Y, inn, off
        # e^(alpha + other types) per fitted cell; the week effect is exp(delta) = Yw / Ew at the fit.
        ea = np.where(inn, np.exp(np.nan_to_num(alpha)[:, None] + off), 0.0)
        Yw = (Y * inn).sum(axis=0)
        Ew = ea.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.dw = np.where(Ew > 0, Yw / Ew, np.nan)
            # Leave-area-out week effects for every area at once: exp(delta_w^(-a)).
            den = Ew[None, :] - ea
            dl = np.where(den > 1e-12 * np.maximum(Ew[None, :], 1e-300), (Yw[None, :] - Y * inn) / den, np.nan)
        self.base_loo = dl * np.exp(off)  # the mean up to the area effect, week effects without the area
        # The variance function, from residuals against the leave-area-out mean: out of
        # sample, so their square has expectation Var(y) + μ² Var(week effect), which is
        # subtracted. (In-sample residuals of the big areas that interventions go to are
        # shrunk by their weight in the week effects: with 14 areas the overdispersion came
        # out a fifth too small.)
        ea_area = np.exp(np.nan_to_num(alpha))[:, None]
        m_all = ea_area * np.where(inn & np.isfinite(self.base_loo), self.base_loo, 0.0)
        use = m_all > 0
        m, sq = m_all[use], ((Y - m_all) ** 2)[use]
        area_of = np.broadcast_to(np.arange(A)[:, None], (A, T))[use]
        week_of = np.broadcast_to(np.arange(T), (A, T))[use]
        mu = np.where(inn, ea * np.nan_to_num(self.dw)[None, :], 0.0)
        self.sigma2, self.kappa = 1.0, 0.0
        for _ in range(3):
            with np.errstate(divide="ignore", invalid="ignore"):
                # Variance of each week effect (delta method on its first-order condition).
                self.var_delta = np.where(mu.sum(axis=0) > 0, self.v(mu).sum(axis=0) / mu.sum(axis=0) ** 2, 0.0)
            self.sigma2, self.kappa = _fit_variance(m, sq, self.var_delta[week_of], area_of)

    def v(self, m: np.ndarray) -> np.ndarray:
        return self.sigma2 * m + self.kappa * m * m


# --- exact placebo refits --------------------------------------------------------------------


class Refitter:
    """The untreated fit with placebo areas' schedule weeks taken out, without a full refit.

    One Newton step from the fit, then the placebo areas' own effects exactly. Holding the
    other areas' effects fixed is not enough: with 14 areas, taking an area's weeks out
    moves every week effect and, through them, every area effect (placebo residuals came
    out up to 15% too small in SD without that feedback). The step needs the Hessian
    without those cells; in the Schur form of
    :func:`~est_pipeline.estimation.poisson_fe.solve_fe_system` only the placebo areas' rows
    and the weeks' diagonal change, a small perturbation of the fit's weeks-sized matrix,
    so each step is solved by iterative refinement against that matrix's inverse (computed
    once): the cost grows with weeks², not with areas, and no assignment × area × week
    array is ever built in big panels. In small panels (where one area is a noticeable share
    of a week) exact alternating updates of all effects follow the step, and then the imputed
    totals match full refits to a few hundredths of a count.

    The same step gives the exact first-order (sandwich) model variance of each placebo's
    imputed total, which studentises it exactly as the observed statistic is studentised.
    """

    def __init__(self, panel, model, v: Callable[[np.ndarray], np.ndarray]):
        fit = model.fit
        a, w = model.u_area, model.u_week
        self.n_a, self.n_w = n_a, n_w = model.alpha.size, model.delta.size
        self.n_g = n_g = len(model.other)
        mu = fit.mu
        MU = np.zeros((n_a, n_w))
        MU[a, w] = mu
        RES = np.zeros((n_a, n_w))
        RES[a, w] = fit.y - mu
        Yd = np.zeros((n_a, n_w))
        Yd[a, w] = fit.y
        IN = np.zeros((n_a, n_w), dtype=bool)
        IN[a, w] = True
        Zd = np.zeros((n_a, n_w, n_g))
        Zd[a, w] = model.Z[:, :n_g]
        self.MU, self.RES, self.Y, self.IN, self.Z = MU, RES, Yd, IN, Zd
        saa = MU.sum(axis=1)
        Paz = np.einsum("aw,awg->ag", MU, Zd)
        Pwz = np.einsum("aw,awg->wg", MU, Zd)
        Pzz = np.einsum("aw,awg,awh->gh", MU, Zd, Zd)
        self.B = np.hstack([MU[:, 1:], Paz])
        R = np.block([[np.diag(MU.sum(axis=0)[1:]), Pwz[1:]], [Pwz[1:].T, Pzz]])
        self.M = R - self.B.T @ (self.B / saa[:, None])
        try:
            self.Minv = np.linalg.inv(self.M)
        except np.linalg.LinAlgError:
            self.Minv = np.linalg.pinv(self.M)
        self.saa = saa
        self.alpha, self.delta, self.gamma = model.alpha, model.delta, np.asarray(model.gamma)
        self.area_map = model.area_map
        self.fit_weeks = np.flatnonzero(model.week_map >= 0)  # panel week of each fit week code
        # Totals of the cells' variance for the sandwich (fit cells; removed ones subtracted later).
        self.v = v
        Vc = v(MU) * IN
        self.Vc = Vc
        self.Va, self.Vw = Vc.sum(axis=1), Vc.sum(axis=0)
        self.VZa = np.einsum("aw,awg->ag", Vc, Zd)
        self.VZw = np.einsum("aw,awg->wg", Vc, Zd)
        self.VZZ = np.einsum("aw,awg,awh->gh", Vc, Zd, Zd)
        # An area that keeps all its cells moves only through the week and type effects:
        # z_a = -B_a·z / saa_a. Its part of the sandwich summed over all areas is then a
        # quadratic form in z, precomputed here so that a placebo costs weeks², not areas.
        Bs = self.B / saa[:, None]
        self.G_aa = Bs.T @ (Bs * self.Va[:, None])  # Σ_a z_a² Va
        self.G_aw = Bs.T @ Vc  # Σ_a z_a (Vc z_w)_a = -z' G_aw z_w
        self.G_ag = Bs.T @ self.VZa  # Σ_a z_a (VZa z_g)_a = -z' G_ag z_g

    def _apply(self, z, *ops):
        """M' z for each assignment: the fit's matrix minus the leaving cells' part."""
        return self.M @ z + self._change(z, *ops)

    def _change(self, z, d_w, b_old, inv_old, b_new, inv_new, dwz, dzz):
        """(M' − M) z: what taking the placebo cells out of the fit changes (cheap: those
        cells' weeks, the placebo areas' rows and the type effects)."""
        n_w = self.n_w
        out = np.zeros_like(z)
        out[:, : n_w - 1] -= d_w[:, 1:, None] * z[:, : n_w - 1]
        if self.n_g:
            out[:, : n_w - 1] -= dwz[:, 1:] @ z[:, n_w - 1 :]
            out[:, n_w - 1 :] -= np.swapaxes(dwz[:, 1:], 1, 2) @ z[:, : n_w - 1]
            out[:, n_w - 1 :] -= dzz @ z[:, n_w - 1 :]
        out += np.swapaxes(b_old * inv_old[..., None], 1, 2) @ (b_old @ z)
        out -= np.swapaxes(b_new * inv_new[..., None], 1, 2) @ (b_new @ z)
        return out

    def _solve(self, rhs, *ops):
        """Solve M' z = rhs for every assignment and right-hand side at once.

        Preconditioned conjugate gradients with the fit's inverse as preconditioner: M' is M
        (symmetric positive definite, the Schur complement of the Poisson Hessian) with some
        cells taken out, so M⁻¹ M' is close to the identity and a handful of steps reach
        the tolerance. Plain iterative refinement (z += M⁻¹ r) needed 35 steps on average on
        a 20-area, 5-year panel and never converged for a fifth of the solves, which then
        fell back to building M' explicitly; conjugate directions cut both. Each column
        gets its own step lengths, so assignments do not slow each other down, and M p is
        carried through the recursion (M M⁻¹ r = r), so a step costs one product with M⁻¹
        and the cheap change (:meth:`_change`), not a second product with M.
        """
        z = self.Minv @ rhs
        r = rhs - self._apply(z, *ops)
        tol = 1e-11 * (np.abs(rhs).max() + 1e-300)
        s = self.Minv @ r
        p = s.copy()
        Mp = r.copy()  # M p, carried along: M s = r, so M p needs no product of its own
        rs = (r * s).sum(axis=1, keepdims=True)
        for _ in range(_MAX_REFINE):
            if np.abs(r).max() <= tol:
                return z
            Ap = Mp + self._change(p, *ops)
            pAp = (p * Ap).sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(pAp > 0, rs / pAp, 0.0)
            z += step * p
            r -= step * Ap
            s = self.Minv @ r
            rs_new = (r * s).sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                beta = np.where(rs > 0, rs_new / rs, 0.0)
            p = s + beta * p
            Mp = r + beta * Mp
            rs = rs_new
        if np.abs(r).max() <= tol:
            return z
        # Too big a perturbation for the iteration (an area with most of a week's counts):
        # build M' for the assignments that did not converge and solve them directly.
        eye = np.eye(self.M.shape[0])[None, :, :]
        for q in np.flatnonzero(np.abs(r).max(axis=(1, 2)) > tol):
            Mp = self._apply(eye, *[o[q:q + 1] for o in ops])[0]
            z[q] = np.linalg.solve(Mp, rhs[q])
        return z

    def residuals(self, areas: np.ndarray, targets: np.ndarray, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Σ (y − m̂) over each target, per assignment, and its model variance.

        ``areas``: assignments × schedules, panel area codes; ``exclude``: (assignments ×)
        schedules × panel weeks; ``targets``: n_targets × (assignments ×) schedules × panel
        weeks (the assignment axis is there when each row has its own schedules). Returns two
        assignments × n_targets arrays: the residual sums, and Var(Σ y) + Var(Σ m̂), the
        second the exact linearised (sandwich) variance of the imputed total through every
        fitted effect.
        """
        P, n1 = areas.shape
        n_w, n_g, n_a = self.n_w, self.n_g, self.n_a
        n_t = targets.shape[0]
        fa = self.area_map[areas]
        x = exclude[..., self.fit_weeks]
        x = np.broadcast_to(x, (P, n1, n_w)) if x.ndim == 2 else x  # P × n1 × n_w
        c = targets[..., self.fit_weeks]
        c = np.broadcast_to(c[:, None], (n_t, P, n1, n_w)) if c.ndim == 3 else c  # n_t × P × n1 × n_w
        IN = self.IN[fa]  # P × n1 × n_w
        xs = x & IN
        MUf = self.MU[fa]
        mu_x = MUf * xs
        Zs = self.Z[fa]
        s_old = self.saa[fa]
        s_new = s_old - mu_x.sum(axis=2)
        b_old = self.B[fa]
        dz = np.einsum("pnw,pnwg->png", mu_x, Zs)
        b_new = np.concatenate([b_old[..., : n_w - 1] - mu_x[..., 1:], b_old[..., n_w - 1 :] - dz], axis=2)
        ok_s = s_new > 0
        inv_old = 1.0 / s_old
        inv_new = np.where(ok_s, 1.0 / np.where(ok_s, s_new, 1.0), 0.0)
        d_w = mu_x.sum(axis=1)
        dwz = np.einsum("pnw,pnwg->pwg", mu_x, Zs)
        dzz = np.einsum("pnw,pnwg,pnwh->pgh", mu_x, Zs, Zs)
        ops = (d_w, b_old, inv_old, b_new, inv_new, dwz, dzz)
        # Right-hand sides: the Newton step (gradient of the reduced fit at the full fit is
        # minus the leaving cells' scores) and each target's imputed-total derivatives.
        r_x = self.RES[fa] * xs
        v_a = -r_x.sum(axis=2)
        v_w = -r_x.sum(axis=1)
        v_z = -np.einsum("pnw,pnwg->pg", r_x, Zs) if n_g else np.zeros((P, 0))
        rhs = np.concatenate([v_w[:, 1:], v_z], axis=1) - np.einsum("pni,pn->pi", b_new, v_a * inv_new)
        tm = np.swapaxes(c, 0, 1) * MUf[:, None]  # P × n_t × n1 × n_w
        d_a = tm.sum(axis=3)
        dd_w = tm.sum(axis=2)
        d_z = np.einsum("ptnw,pnwg->ptg", tm, Zs) if n_g else np.zeros((P, n_t, 0))
        rhs_v = np.concatenate([dd_w[:, :, 1:], d_z], axis=2) - np.einsum("pni,ptn->pti", b_new, d_a * inv_new[:, None])
        sol = self._solve(np.concatenate([rhs[:, :, None], np.swapaxes(rhs_v, 1, 2)], axis=2), *ops)
        r, zv = sol[:, :, 0], sol[:, :, 1:]
        d_new = self.delta[None, :] + np.concatenate([np.zeros((P, 1)), r[:, : n_w - 1]], axis=1)
        g_new = self.gamma[None, :] + r[:, n_w - 1 :]
        if n_a <= _SWEEP_MAX_AREAS or (n1 > 1 and P * n_a * n_w <= _SWEEP_CELLS):
            ed = self._sweeps(fa, x, d_new, g_new)
        else:
            ed = np.exp(d_new)
        # The placebo areas' own effects, exactly, from their weeks outside the schedule.
        off_p = np.exp(np.einsum("pnwg,pg->pnw", Zs, g_new)) if n_g else np.ones((1, 1, n_w))
        base = ed[:, None, :] * off_p  # P × n1 × n_w
        F = IN & ~x
        Yf = self.Y[fa]
        with np.errstate(divide="ignore", invalid="ignore"):
            ea = np.nan_to_num((Yf * F).sum(axis=2) / (base * F).sum(axis=2))
        m_hat = ea[..., None] * base
        resid = np.einsum("tpnw,pnw->pt", c, Yf - m_hat)
        cells = np.einsum("tpnw,pnw->pt", c, self.v(m_hat))
        return resid, cells + self._sandwich(fa, xs, zv, d_a, b_new, inv_new)

    def _sweeps(self, fa, x, d_new, g_new):
        P = fa.shape[0]
        INp = np.broadcast_to(self.IN, (P,) + self.IN.shape).copy()
        INp[np.arange(P)[:, None], fa] &= ~x
        Yp = self.Y[None] * INp
        off = np.exp(np.einsum("awg,pg->paw", self.Z, g_new)) if self.n_g else np.ones((1,) + self.IN.shape)
        W = INp * off
        sy_w, sy_a = Yp.sum(axis=1), Yp.sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ed = np.exp(d_new)
            for _ in range(_SWEEPS):
                ea = sy_a / (W * ed[:, None, :]).sum(axis=2)
                ed = sy_w / (W * ea[:, :, None]).sum(axis=1)
        return ed

    def _sandwich(self, fa, xs, zv, d_a, b_new, inv_new):
        """Σ over the reduced fit's cells of Var(y) × (the cell's influence on the total)²."""
        n_w, n_g = self.n_w, self.n_g
        P, n_t = zv.shape[0], zv.shape[2]
        z_w = np.concatenate([np.zeros((P, 1, n_t)), zv[:, : n_w - 1]], axis=1)  # P × n_w × n_t
        z_g = zv[:, n_w - 1 :]  # P × n_g × n_t
        # Every area as if it kept all its cells (precomputed quadratic forms) ...
        out = (zv * (self.G_aa @ zv)).sum(axis=1)
        out -= 2 * (zv * (self.G_aw @ z_w)).sum(axis=1)
        out += (z_w**2 * self.Vw[None, :, None]).sum(axis=1)
        if n_g:
            out -= 2 * (zv * (self.G_ag @ z_g)).sum(axis=1)
            out += 2 * (z_w * (self.VZw @ z_g)).sum(axis=1)
            out += (z_g * (self.VZZ @ z_g)).sum(axis=1)
        # ... then the placebo areas' rows replaced: their own effect moves differently and
        # their schedule's cells left the fit.
        za_std = -(b_old_rows := self.B[fa]) @ zv / self.saa[fa][..., None]  # P × n1 × n_t
        za_pl = np.swapaxes((d_a - np.einsum("pni,pit->ptn", b_new, zv)) * inv_new[:, None], 1, 2)
        Vrow = self.Vc[fa]  # P × n1 × n_w
        zw_b = np.swapaxes(z_w, 1, 2)[:, None]  # P × 1 × n_t × n_w
        u = np.einsum("pnwg,pgt->pntw", self.Z[fa], z_g) if n_g else 0.0

        def row_part(za, mask):
            infl = za[..., None] + zw_b + u  # P × n1 × n_t × n_w
            return np.einsum("pnw,pntw->pt", Vrow * mask, infl**2)

        out -= row_part(za_std, np.ones_like(xs, dtype=bool))
        out += row_part(za_pl, ~xs)
        del b_old_rows
        return out


# --- the tests ---------------------------------------------------------------------------------


class _Invertible:
    """Test inversion shared by both tests: every log ratio not rejected."""

    def stat(self, b: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def critical_at(self, level: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def interval(self, estimate: float, level: float = 0.95) -> tuple[float, float]:
        """±inf where the data give no bound (reported as "cannot tell", never shown)."""
        crit = self.critical_at(level)
        if not np.isfinite(crit):
            return -np.inf, np.inf

        def excess(b: float) -> float:
            return abs(self.stat(b)) - crit

        bounds = []
        for direction in (-1.0, 1.0):
            near, step = estimate, 0.05
            far = estimate + direction * step
            found = False
            while abs(far - estimate) <= _LOG_SEARCH:
                if excess(far) > 0:
                    found = True
                    break
                near, step = far, step * 1.6
                far = estimate + direction * step
            if not found:
                bounds.append(direction * np.inf)
                continue
            # |t| may turn back below the critical value further out (its limit as the ratio
            # grows is finite), so the bound is the crossing nearest the estimate.
            bounds.append(brentq(excess, near, far, xtol=1e-10))
        return bounds[0], bounds[1]


@dataclass
class _Observed:
    """The treated areas' statistic: Σ (y − r·m̂) and its model variance at ratio r."""

    sum_y: float
    sum_m: float
    sum_m2: float
    var_imputed: float  # exact linearised variance of Σ m̂ (scales with r²)
    grid: Grid

    def numerator(self, r: float) -> float:
        return self.sum_y - r * self.sum_m

    def variance(self, r: float) -> float:
        g = self.grid
        return g.sigma2 * r * self.sum_m + g.kappa * r * r * self.sum_m2 + r * r * self.var_imputed


@dataclass
class AssignmentTest(_Invertible):
    """Randomization inference: the observed |t| among placebo assignments' |t|."""

    obs: _Observed
    t_ref: np.ndarray
    enumerated: bool

    @property
    def n_assignments(self) -> int:
        return int(self.t_ref.size)

    def stat(self, b: float) -> float:
        r = float(np.exp(b))
        var = self.obs.variance(r)
        return self.obs.numerator(r) / np.sqrt(var) if var > 0 else 0.0

    def p_value(self, b: float) -> float:
        t = abs(self.stat(b))
        return float((1 + np.sum(self.t_ref >= t - 1e-12)) / (self.n_assignments + 1))

    def critical_at(self, level: float) -> float:
        """The smallest |t| the test rejects at this level (inf if no |t| can)."""
        n = self.n_assignments
        allowed = int(np.floor((1 - level) * (n + 1) + 1e-9)) - 1  # placebo |t| allowed >= observed
        if allowed < 0:
            return np.inf
        if allowed >= n:
            return 0.0
        return float(np.sort(self.t_ref)[::-1][allowed]) * (1 + 1e-12) + 1e-12


@dataclass
class CalibratedTest(_Invertible):
    """t-test with the model variance scaled by what the control areas' placebos show."""

    obs: _Observed
    scale: float
    df: float
    n_pairs: int

    def stat(self, b: float) -> float:
        r = float(np.exp(b))
        var = self.scale * self.obs.variance(r)
        return self.obs.numerator(r) / np.sqrt(var) if var > 0 else 0.0

    def p_value(self, b: float) -> float:
        return float(2 * stats.t.sf(abs(self.stat(b)), self.df))

    def critical_at(self, level: float) -> float:
        return float(stats.t.ppf(0.5 + level / 2, self.df))


# --- building the tests -------------------------------------------------------------------------


def assignments(n_controls: int, n_treated: int, n_draws: int, seed: int) -> tuple[np.ndarray, bool]:
    """Ordered assignments of the treated schedules to distinct control areas (rows).

    All of them when there are at most :data:`MAX_ENUMERATED`, else ``n_draws`` seeded
    random ones. Returns (assignments, enumerated).
    """
    if n_treated > n_controls or n_treated == 0:
        return np.zeros((0, max(n_treated, 0)), dtype=int), True
    total = 1
    for j in range(n_treated):
        total *= n_controls - j
        if total > MAX_ENUMERATED:
            break
    if total <= MAX_ENUMERATED:
        perms = list(itertools.permutations(range(n_controls), n_treated))
        return np.array(perms, dtype=int).reshape(-1, n_treated), True
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n_controls)[:n_treated] for _ in range(n_draws)]), False


def n_assignments(n_controls: int, n_treated: int) -> int:
    """How many ordered assignments of ``n_treated`` schedules to distinct control areas exist."""
    if n_treated > n_controls or n_treated <= 0:
        return 0
    total = 1
    for j in range(n_treated):
        total *= n_controls - j
    return total


class PlaceboDesign:
    """The treated areas' schedules of one type and the control areas that can host them.

    ``schedule_mask`` marks the cells that make up each treated area's schedule (its
    imputable treated cells, or its lead weeks), ``exclude_mask`` the cells left out of
    its own area effect (the untreated fit's exclusions). Targets passed to the tests are
    subsets of the schedule cells (e.g. one bin of weeks since the start).
    """

    def __init__(self, panel, k: int, model, schedule_mask: np.ndarray, exclude_mask: np.ndarray):
        self.panel, self.k, self.model = panel, k, model
        self.grid = Grid(panel, model)
        T = self.grid.T
        sched = np.zeros((panel.n_areas, T), dtype=bool)
        sched[panel.area[schedule_mask], panel.week[schedule_mask]] = True
        exc = np.zeros((panel.n_areas, T), dtype=bool)
        exc[panel.area[exclude_mask], panel.week[exclude_mask]] = True
        exc |= sched
        areas = np.flatnonzero(sched.any(axis=1))
        # A treated area needs fitted weeks of its own, with events, to learn its level from.
        own = self.grid.inn[areas] & ~exc[areas] & np.isfinite(self.grid.dw)[None, :]
        ok = (self.grid.Y[areas] * own).sum(axis=1) > 0
        self.areas = areas[ok]
        self.schedule, self.exclude = sched[self.areas], exc[self.areas]
        never = panel.first_start[:, k] < 0
        has_cells = self.grid.inn.any(axis=1) & ((self.grid.Y * self.grid.inn).sum(axis=1) > 0)
        self.controls = np.flatnonzero(never & has_cells)

    @property
    def n_treated(self) -> int:
        return int(self.areas.size)

    @property
    def n_controls(self) -> int:
        return int(self.controls.size)

    def _target_matrix(self, target_mask: np.ndarray) -> np.ndarray:
        m = np.zeros((self.panel.n_areas, self.grid.T), dtype=bool)
        m[self.panel.area[target_mask], self.panel.week[target_mask]] = True
        return m[self.areas] & self.schedule

    def _observed(self, tg: np.ndarray) -> _Observed:
        """The treated areas' statistic for a target (areas × weeks mask over ``self.areas``)."""
        from est_pipeline.estimation.imputation import impute_mu0
        from est_pipeline.estimation.poisson_fe import solve_fe_system

        panel, model = self.panel, self.model
        cell = np.zeros((panel.n_areas, self.grid.T), dtype=bool)
        cell[self.areas] = tg
        rows = np.flatnonzero(cell[panel.area, panel.week])
        m = impute_mu0(panel, model, rows)
        n_a, n_w = model.alpha.size, model.delta.size
        v_a = np.bincount(model.area_map[panel.area[rows]], weights=m, minlength=n_a)[:, None]
        v_w = np.bincount(model.week_map[panel.week[rows]], weights=m, minlength=n_w)[:, None]
        v_z = (panel.D[np.ix_(rows, model.other)].T @ m)[:, None] if model.other else np.zeros((0, 1))
        fit = model.fit
        z_a, z_w, z_z = solve_fe_system(fit.mu, model.u_area, model.u_week, model.Z, n_a, n_w, v_a, v_w, v_z)
        infl = z_a[model.u_area, 0] + z_w[model.u_week, 0] + model.Z @ z_z[:, 0]
        var_imp = float(np.sum(self.grid.v(fit.mu) * infl**2))
        return _Observed(float(panel.y[rows].sum()), float(m.sum()), float((m * m).sum()), var_imp, self.grid)

    def assignment_tests(self, target_masks: list[np.ndarray], n_draws: int, seed: int) -> list[AssignmentTest]:
        tgs = np.stack([self._target_matrix(m) for m in target_masks])  # n_t × n1 × T
        perm, enumerated = assignments(self.n_controls, self.n_treated, n_draws, seed)
        refit = Refitter(self.panel, self.model, self.grid.v)
        n_t = tgs.shape[0]
        t_ref = np.zeros((n_t, len(perm)))
        for lo in range(0, len(perm), _CHUNK):
            pc = perm[lo : lo + _CHUNK]
            num, var = refit.residuals(self.controls[pc], tgs, self.exclude)
            with np.errstate(invalid="ignore", divide="ignore"):
                tt = np.abs(num / np.sqrt(var)).T
            # An assignment that leaves a target week without untreated cells gives no
            # placebo; count it as extreme (conservative) rather than drop it.
            t_ref[:, lo : lo + _CHUNK] = np.where(np.isfinite(tt), tt, np.inf)
        return [AssignmentTest(self._observed(tgs[t]), t_ref[t], enumerated) for t in range(n_t)]

    def calibrated_tests(self, target_masks: list[np.ndarray], seed: int) -> list[CalibratedTest]:
        tgs = np.stack([self._target_matrix(m) for m in target_masks])
        n1, n_t = self.n_treated, tgs.shape[0]
        total = self.n_controls * n1
        if total > MAX_CALIBRATION_PAIRS:
            idx = np.sort(np.random.default_rng(seed).choice(total, MAX_CALIBRATION_PAIRS, replace=False))
        else:
            idx = np.arange(total)
        pairs = np.stack([idx // n1, idx % n1], axis=1)  # (control, schedule)
        refit = Refitter(self.panel, self.model, self.grid.v)
        # Each pair: one control area with one schedule (all targets of that schedule).
        ratio = np.full((len(pairs), n_t), np.nan)
        for lo in range(0, len(pairs), _CHUNK):
            pr = pairs[lo : lo + _CHUNK]
            num, var = refit.residuals(self.controls[pr[:, 0]][:, None], tgs[:, pr[:, 1]][:, :, None],
                                       self.exclude[pr[:, 1]][:, None])
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio[lo : lo + _CHUNK] = num**2 / var
        out = []
        for t in range(n_t):
            ok = np.isfinite(ratio[:, t])
            r_t, who = ratio[ok, t], pairs[ok, 0]
            if r_t.size < 2:
                scale, df = np.inf, 1.0
            else:
                scale = float(r_t.mean())
                per_area = np.array([r_t[who == j].mean() for j in np.unique(who)])
                g = per_area.size
                var_scale = float(per_area.var(ddof=1) / g) if g > 1 else np.inf
                df = float(np.clip(2 * scale**2 / var_scale, 1.0, 1e6)) if var_scale > 0 else 1e6
            out.append(CalibratedTest(self._observed(tgs[t]), scale, df, int(r_t.size)))
        return out
