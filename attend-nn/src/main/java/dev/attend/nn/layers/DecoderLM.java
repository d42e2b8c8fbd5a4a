package dev.attend.nn.layers;

import dev.attend.attention.Attention;
import dev.attend.attention.mask.Mask;
import dev.attend.attention.mask.Masks;
import dev.attend.nn.autograd.MatMuls;
import dev.attend.nn.autograd.Pointwise;
import dev.attend.nn.autograd.Shapes;
import dev.attend.nn.autograd.Var;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A decoder-only language model: token embedding (+ learned positions, or RoPE inside attention), {@code layers}
 * pre-norm {@link TransformerBlock}s under a causal mask, a final norm and the vocabulary head (its own weight, or
 * tied to the token embedding). {@link #logitsAt} computes the head only at chosen positions (the answer positions
 * of a recall task), where the head's GEMM dominates the step for a large vocabulary.
 *
 * <p>Parameters are initialised from {@link Config#seed()}; names follow the structure
 * ({@code tok.weight}, {@code blocks.0.attn.q.weight}, ...). Cost per token, forward: about
 * {@code 2 * params + 4 * L * dModel * layers} flops (the last term attention under a causal mask, halved).
 */
public final class DecoderLM extends Module {
    /**
     * The architecture and its seed.
     *
     * @param rope       RoPE positions inside attention (base 10000); else a learned table of {@code maxLen} rows
     * @param attention  the mechanism's registry spec, e.g. {@code "flash"}
     * @param dropout    the probability of dropping an element, in {@code [0, 1)}, applied in training mode only
     *                   (see {@link DecoderLM#train}) to the input embeddings and to each block's attention and MLP
     *                   outputs before their residual add (GPT-2's sites); 0 turns it off
     */
    public record Config(int vocab, int dModel, int layers, int heads, int kvHeads, int mlpHidden, int maxLen,
                         boolean rope, boolean tiedHead, boolean swiglu, boolean rmsNorm, String attention, long seed,
                         float dropout) {
        public Config {
            positive("vocab", vocab);
            positive("dModel", dModel);
            positive("layers", layers);
            positive("heads", heads);
            positive("kvHeads", kvHeads);
            positive("mlpHidden", mlpHidden);
            positive("maxLen", maxLen);
            if (dModel % heads != 0) throw new IllegalArgumentException("heads: must divide dModel " + dModel + ", got " + heads);
            if (heads % kvHeads != 0) throw new IllegalArgumentException("kvHeads: must divide heads " + heads + ", got " + kvHeads);
            if (rope && (dModel / heads) % 2 != 0) throw new IllegalArgumentException("rope: head dimension dModel/heads must be even, got " + dModel / heads);
            if (attention == null) throw new IllegalArgumentException("attention: expected a mechanism spec such as 'flash', got null");
            Attention.of(attention);  // an unknown mechanism or parameter fails here, naming it
            if (!(dropout >= 0f && dropout < 1f)) throw new IllegalArgumentException("dropout: expected a probability in [0, 1), got " + dropout);
        }

        private static void positive(String name, int v) {
            if (v < 1) throw new IllegalArgumentException(name + ": must be >= 1, got " + v);
        }

        /** The small GPT of the benchmark: learned positions, GELU MLP 4x, tied head, LayerNorm, flash. */
        public static Config gpt(int vocab, int dModel, int layers, int heads, int maxLen, long seed) {
            return new Config(vocab, dModel, layers, heads, heads, 4 * dModel, maxLen, false, true, false, false, "flash", seed, 0f);
        }

        /** The fields as a flat map (for the JSON config of a checkpoint). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("vocab", vocab); m.put("dModel", dModel); m.put("layers", layers); m.put("heads", heads);
            m.put("kvHeads", kvHeads); m.put("mlpHidden", mlpHidden); m.put("maxLen", maxLen); m.put("rope", rope);
            m.put("tiedHead", tiedHead); m.put("swiglu", swiglu); m.put("rmsNorm", rmsNorm); m.put("attention", attention);
            m.put("seed", seed); m.put("dropout", (double) dropout);
            return m;
        }

        public static Config fromMap(Map<String, Object> m) {
            return new Config(i(m, "vocab"), i(m, "dModel"), i(m, "layers"), i(m, "heads"), i(m, "kvHeads"), i(m, "mlpHidden"),
                    i(m, "maxLen"), b(m, "rope"), b(m, "tiedHead"), b(m, "swiglu"), b(m, "rmsNorm"), s(m, "attention"),
                    ((Number) get(m, "seed", Number.class)).longValue(),
                    m.containsKey("dropout") ? ((Number) get(m, "dropout", Number.class)).floatValue() : 0f);  // configs before dropout had none
        }

        private static Object get(Map<String, Object> m, String k, Class<?> type) {
            Object v = m.get(k);
            if (!type.isInstance(v)) {
                throw new IllegalArgumentException("config: '" + k + "' must be a " + type.getSimpleName().toLowerCase() + ", got " + v);
            }
            return v;
        }

        private static int i(Map<String, Object> m, String k) {
            return Math.toIntExact(((Number) get(m, k, Number.class)).longValue());
        }

        private static boolean b(Map<String, Object> m, String k) {
            return (Boolean) get(m, k, Boolean.class);
        }

        private static String s(Map<String, Object> m, String k) {
            return (String) get(m, k, String.class);
        }
    }

    private final Config config;
    private final Embedding tok, pos;
    private final TransformerBlock[] blocks;
    private final LayerNorm norm;
    private final Linear head;
    private final Mask mask = Masks.causal();
    private Dropout dropout = Dropout.OFF;

    public DecoderLM(Config c) {
        this.config = c;
        Random r = new Random(c.seed());
        this.tok = child("tok", new Embedding(c.vocab(), c.dModel(), r));
        this.pos = c.rope() ? null : child("pos", new Embedding(c.maxLen(), c.dModel(), r));
        this.blocks = new TransformerBlock[c.layers()];
        for (int i = 0; i < blocks.length; i++) blocks[i] = child("blocks." + i, new TransformerBlock(c, r));
        this.norm = child("norm", new LayerNorm(c.dModel(), c.rmsNorm()));
        this.head = c.tiedHead() ? null : child("head", new Linear(c.dModel(), c.vocab(), false, r));
    }

    public Config config() {
        return config;
    }

    /**
     * Training mode: the forward passes until {@link #eval()} drop elements with the config's probability, their
     * masks a function of {@code seed} and the site alone (a trainer passes a mix of the run seed and the step, so
     * a resumed run replays bit for bit). With dropout 0 the mode changes nothing.
     */
    public void train(long seed) {
        dropout = new Dropout(config.dropout(), seed);
    }

    /** Inference mode (the default): no dropout. */
    public void eval() {
        dropout = Dropout.OFF;
    }

    /** The final hidden states {@code [B, L, dModel]} for {@code tokens} (row-major {@code [batch, len]}). */
    public Var hidden(int[] tokens, int batch, int len) {
        if (batch < 1 || len < 1 || (long) batch * len != tokens.length) {
            throw new IllegalArgumentException("tokens: expected batch x len = " + batch + " x " + len + " ids, got " + tokens.length);
        }
        if (len > config.maxLen() && !config.rope()) {
            throw new IllegalArgumentException("len: at most maxLen " + config.maxLen() + " with learned positions, got " + len);
        }
        Var x = tok.forward(tokens, batch, len);
        if (pos != null) {
            int[] p = new int[len];
            for (int t = 0; t < len; t++) p[t] = t;
            x = Pointwise.add(x, pos.forward(p, len));
        }
        x = dropout.apply(x, 0);
        for (int i = 0; i < blocks.length; i++) x = blocks[i].forward(x, mask, dropout, 1 + 2 * i);
        return norm.forward(x);
    }

    /** Logits {@code [B, L, vocab]} at every position. */
    public Var logits(int[] tokens, int batch, int len) {
        return project(hidden(tokens, batch, len));
    }

    /** Logits {@code [rows.length, vocab]} only at the flat positions {@code rows} (each {@code b * len + t}). */
    public Var logitsAt(int[] tokens, int batch, int len, int[] rows) {
        Var h = hidden(tokens, batch, len);
        Var flat = Shapes.reshape(h, (long) batch * len, config.dModel());
        return project(Shapes.embedding(flat, rows, rows.length));
    }

    private Var project(Var h) {
        return head == null ? MatMuls.linear(h, tok.weight, null) : head.forward(h);
    }
}
