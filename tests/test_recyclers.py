import numpy as np
import pytest

from prompt_recycling.errors import RecyclingError
from prompt_recycling.recyclers import RECYCLERS, get_recycler, load_recycler


def planted(n=400, e_s=12, e_t=20, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    vs = rng.normal(size=(n, e_s))
    y = rng.normal(size=(e_s, e_t))
    vt = vs @ y + noise * rng.normal(size=(n, e_t))
    prompt = rng.uniform(-0.5, 0.5, size=(7, e_s))
    return vs, vt, y, prompt


def test_v2v_lin_recovers_a_planted_map_exactly_without_noise():
    vs, vt, y, prompt = planted()
    rec = get_recycler("v2v-lin").fit(vs, vt)
    np.testing.assert_allclose(rec.matrix, y, atol=1e-10)
    np.testing.assert_allclose(rec(prompt, dtype=np.float64), prompt @ y, atol=1e-10)
    assert rec.fit_error < 1e-12


def test_v2v_lin_is_close_with_noise():
    vs, vt, y, prompt = planted(n=2000, noise=0.05)
    rec = get_recycler("v2v-lin").fit(vs, vt)
    assert np.abs(rec.matrix - y).max() < 0.02
    assert 0.0 < rec.fit_error < 0.05


@pytest.mark.parametrize("n", [400, 12])  # N > E_s and N == E_s
def test_lin_comb_equals_v2v_lin_when_words_cover_the_width(n):
    vs, vt, _, prompt = planted(n=n, noise=0.3, seed=1)
    lin = get_recycler("v2v-lin").fit(vs, vt)
    comb = get_recycler("lin-comb").fit(vs, vt)
    a, b = lin(prompt, dtype=np.float64), comb(prompt, dtype=np.float64)
    assert np.abs(a - b).max() < 1e-8
    # and both equal the closed form Ps · pinv(Vs) · Vt
    np.testing.assert_allclose(a, prompt @ np.linalg.pinv(vs) @ vt, atol=1e-8)


def test_v2v_nn_loss_falls_and_beats_linear_on_a_nonlinear_map():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8, 8))
    vs, test_vs = rng.normal(size=(2000, 8)), rng.normal(size=(500, 8))
    vt, test_vt = (np.maximum(x @ w, 0.0) * 2.0 for x in (vs, test_vs))  # no linear map fits
    nn = get_recycler("v2v-nn", learning_rate=3e-3).fit(vs, vt)  # tiny widths: faster lr
    lin = get_recycler("v2v-lin").fit(vs, vt)
    losses = nn.config.losses
    assert len(losses) == 25 and losses[-1] < 0.2 * losses[0]

    def err(rec):
        return np.linalg.norm(rec(test_vs, np.float64) - test_vt) / np.linalg.norm(test_vt)

    assert err(nn) < 0.5 * err(lin)


def test_v2v_nn_is_deterministic_for_a_seed():
    vs, vt, _, prompt = planted(n=200)
    a = get_recycler("v2v-nn", epochs=2, seed=3).fit(vs, vt)(prompt)
    b = get_recycler("v2v-nn", epochs=2, seed=3).fit(vs, vt)(prompt)
    c = get_recycler("v2v-nn", epochs=2, seed=4).fit(vs, vt)(prompt)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_v2v_nn_architecture_and_defaults():
    rec = get_recycler("v2v-nn")
    cfg = rec.config
    assert (cfg.hidden_scale, cfg.learning_rate, cfg.batch_size, cfg.epochs) == (4, 3e-4, 50, 25)
    vs, vt, _, _ = planted(n=60, e_s=6, e_t=10)
    rec = get_recycler("v2v-nn", epochs=1).fit(vs, vt)
    shapes = [tuple(p.shape) for p in rec.net.parameters()]
    assert shapes == [(40, 6), (40,), (10, 40), (10,)]


def test_v2v_nn_as_the_released_code_lecun_normal_init_and_half_mse():
    """init: lecun-normal is Flax's Dense default (truncated normal of variance 1/fan-in, zero
    biases); loss: half-mse halves the loss, which Adam's steps do not see (but for eps)."""
    vs, vt, _, _ = planted(n=300, e_s=64, e_t=16)
    still = {"epochs": 1, "learning_rate": 1e-12}  # one epoch of steps too small to move it
    rec = get_recycler("v2v-nn", init="lecun-normal", **still).fit(vs, vt)
    for layer in (rec.net[0], rec.net[2]):
        w, fan_in = layer.weight.detach().numpy(), layer.in_features
        assert np.abs(layer.bias.detach().numpy()).max() < 1e-9
        assert abs(w.std() * fan_in**0.5 - 1) < 0.1  # variance 1/fan-in after truncation
        assert np.abs(w).max() <= 2 * fan_in**-0.5 / 0.87962566103423978 + 1e-6
    torch_default = get_recycler("v2v-nn", **still).fit(vs, vt)
    assert np.abs(torch_default.net[0].bias.detach().numpy()).max() > 1e-3  # uniform biases
    full = get_recycler("v2v-nn", epochs=2).fit(vs, vt)
    half = get_recycler("v2v-nn", epochs=2, loss="half-mse").fit(vs, vt)
    np.testing.assert_allclose(half.config.losses, 0.5 * np.array(full.config.losses), rtol=1e-3)
    with pytest.raises(RecyclingError, match="init"):
        get_recycler("v2v-nn", init="xavier")


@pytest.mark.parametrize("method", sorted(RECYCLERS))
def test_save_and_load_round_trip(method, tmp_path):
    vs, vt, _, prompt = planted(n=100)
    config = {"epochs": 2} if method == "v2v-nn" else {}
    rec = get_recycler(method, **config).fit(vs, vt)
    path = tmp_path / "rec.safetensors"
    rec.save(path)
    back = load_recycler(path)
    assert back.name == method and back.fit_error == rec.fit_error
    np.testing.assert_array_equal(back(prompt), rec(prompt))
    assert [p.name for p in tmp_path.iterdir()] == ["rec.safetensors"]  # no temp file left


def test_bad_inputs():
    vs, vt, _, prompt = planted(n=50)
    with pytest.raises(RecyclingError, match="unknown method 'v2v-foo'"):
        get_recycler("v2v-foo")
    rec = get_recycler("v2v-lin").fit(vs, vt)
    with pytest.raises(RecyclingError, match="width 5 but the source embeddings have width 12"):
        rec(np.zeros((3, 5)))
    with pytest.raises(RecyclingError, match="must be 2-D"):
        rec(np.zeros((1, 3, 12)))
    bad = prompt.copy()
    bad[0, 0] = np.nan
    with pytest.raises(RecyclingError, match="NaN or inf"):
        rec(bad)
    with pytest.raises(RecyclingError, match="50 source rows but 49 target rows"):
        get_recycler("lin-comb").fit(vs, vt[:49])
    with pytest.raises(RecyclingError, match="not fitted"):
        get_recycler("lin-comb")(prompt)
    with pytest.raises(RecyclingError, match="MLPConfig: unknown setting 'hidden'"):
        get_recycler("v2v-nn", hidden=3)
    with pytest.raises(RecyclingError, match="MLPConfig.epochs = 0: must be a positive number"):
        get_recycler("v2v-nn", epochs=0)


def test_the_schema_names_exactly_the_registered_recyclers():
    from prompt_recycling.settings import schema_node

    items = schema_node("grid", "recyclers")["items"]
    assert sorted(items["enum"]) == sorted(RECYCLERS)


@pytest.mark.parametrize(("e_s", "e_t"), [(16, 24), (24, 16), (16, 16)])
def test_procrustes_recovers_a_shifted_scaled_rotated_copy(e_s, e_t):
    """Both tables are the same k-dimensional cloud z (k = the smaller width), isometrically
    placed in each space, the target's scaled by 3 and shifted: Procrustes maps it exactly."""
    rng = np.random.default_rng(3)
    k = min(e_s, e_t)

    def isometry(width):  # (k, width) with orthonormal rows
        q, _ = np.linalg.qr(rng.normal(size=(width, width)))
        return q[:k]

    a, b = isometry(e_s), isometry(e_t)
    z = rng.normal(size=(500, k))
    vs, vt = z @ a + 2.0, z @ b * 3.0 + 5.0
    rec = get_recycler("procrustes").fit(vs, vt)
    assert rec.fit_error < 1e-12
    zp = rng.normal(size=(7, k)) * 4  # a prompt far larger than the rows, in their span
    expected = (zp - z.mean(axis=0)) @ b * 3.0 + vt.mean(axis=0)
    np.testing.assert_allclose(rec(zp @ a + 2.0, dtype=np.float64), expected, atol=1e-9)
    gram = rec.matrix.T @ rec.matrix if e_s >= e_t else rec.matrix @ rec.matrix.T
    np.testing.assert_allclose(gram, np.eye(k), atol=1e-10)  # (semi-)orthogonal


def test_ridge_is_v2v_lin_on_clean_data_and_shrinks_an_ill_posed_map():
    vs, vt, y, prompt = planted(n=400)
    ridge = get_recycler("ridge").fit(vs, vt)
    assert np.abs(ridge.matrix - y).max() < 1e-2 and ridge.alpha[0] <= 1e-3
    # nearly collinear source columns and noisy targets: least squares blows up, ridge does not
    rng = np.random.default_rng(5)
    base = rng.normal(size=(60, 1))
    vs = base + 1e-4 * rng.normal(size=(60, 12))
    vt = base @ rng.normal(size=(1, 8)) + 0.5 * rng.normal(size=(60, 8))
    lin, ridge = get_recycler("v2v-lin").fit(vs, vt), get_recycler("ridge").fit(vs, vt)
    assert np.linalg.norm(ridge.matrix) < 0.01 * np.linalg.norm(lin.matrix)
    assert ridge.alpha[0] > 1e-4


@pytest.mark.parametrize("base", ["v2v-lin", "procrustes"])
def test_norm_match_keeps_the_base_direction_at_the_source_prompts_relative_norm(base):
    vs, vt, _, prompt = planted(n=300, noise=0.1)
    prompt = prompt * np.arange(1, 8)[:, None] * 10  # rows far larger than vocabulary rows
    plain = get_recycler(base).fit(vs, vt)
    rec = get_recycler("norm-match", base=base).fit(vs, vt)
    out, direction = rec(prompt, np.float64), plain(prompt, np.float64)
    m_s, m_t = np.median(np.linalg.norm(vs, axis=1)), np.median(np.linalg.norm(vt, axis=1))
    wanted = np.linalg.norm(prompt, axis=1) / m_s * m_t
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), wanted, rtol=1e-10)
    cos = (out * direction).sum(1) / np.linalg.norm(out, axis=1) / np.linalg.norm(direction, axis=1)
    np.testing.assert_allclose(cos, 1.0, atol=1e-10)
    with pytest.raises(RecyclingError, match="norm-match base must be one of"):
        get_recycler("norm-match", base="norm-match")
