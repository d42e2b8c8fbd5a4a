package dev.attend.attention.decode;

import dev.attend.attention.AttentionMechanism;
import dev.attend.attention.AttentionProblem;
import dev.attend.attention.AttentionResult;
import dev.attend.attention.Cost;
import dev.attend.attention.DecodingMechanism;
import dev.attend.attention.MaskSupport;
import dev.attend.attention.MechanismDescriptor;
import dev.attend.attention.Params;
import dev.attend.attention.Support;
import dev.attend.tensor.DType;
import dev.attend.tensor.Q8_0;
import dev.attend.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Exact decoding over a KV cache in one storage format: the family {@code decode-f32}, {@code decode-f16},
 * {@code decode-bf16} and {@code decode-q8_0}, one registered name per format of {@link KvCache#FORMATS}. A serving loop keeps a {@link KvCache} from
 * {@link #newCache} and calls {@link #attend}; {@link #forward} on a whole problem stores k and v in a cache
 * of this format first (so its output is attention over the stored, possibly rounded, keys and values).
 * The queries are the last Lq positions: masks {@code causal-br} (query i sees keys up to
 * {@code Lk - Lq + i}) or {@code full}. The result is exact attention over the stored keys and values, so
 * {@code decode-f32} is exact, while the others are declared approximate: their error against the unrounded
 * inputs is the format's rounding (a relative 2^-12 per F16 element, 2^-9 per BF16 element;
 * at most half a quantisation step, {@code max|x| / 254} per 32-element block, for Q8_0).
 */
public final class DecodeAttention extends AttentionMechanism implements DecodingMechanism {

    /** One descriptor per storage format of {@link KvCache#FORMATS}, in its order. */
    public static final List<MechanismDescriptor> DESCRIPTORS = KvCache.FORMATS.stream().map(DecodeAttention::descriptor).toList();

    private final DType format;

    private DecodeAttention(MechanismDescriptor d, Params p, DType format) {
        super(d, p);
        this.format = format;
    }

    private static MechanismDescriptor descriptor(DType format) {
        String what = switch (format) {
            case F32 -> "F32 (exact)";
            case F16 -> "F16 (keys and values rounded to 11 significant bits; finite values beyond 65504 are refused)";
            case BF16 -> "BF16 (keys and values rounded to 8 significant bits)";
            default -> "Q8_0 (int8 with a scale per 32 dimensions; D % 32 == 0)";
        };
        MechanismDescriptor.Builder b = MechanismDescriptor.builder(nameOf(format), (d, p) -> new DecodeAttention(d, p, format))
                .summary("Split-K decoding of the last Lq queries over a KV cache stored as " + what)
                .masks(MaskSupport.listed("causal-br", "full"))
                .decode(true);
        // Exact over what the cache stores; against the unrounded inputs only F32 is exact.
        return (format == DType.F32 ? b : b.approximate()).build();
    }

    /** {@code "decode-f32"}, {@code "decode-f16"}, {@code "decode-bf16"}, {@code "decode-q8_0"}. */
    public static String nameOf(DType format) {
        return "decode-" + format.name().toLowerCase(Locale.ROOT);
    }

    /** The decode mechanism for {@code format}. */
    public static DecodeAttention of(DType format) {
        for (MechanismDescriptor d : DESCRIPTORS) {
            if (d.name().equals(nameOf(format))) return (DecodeAttention) d.create(Map.of());
        }
        throw new IllegalArgumentException("format: expected one of " + KvCache.FORMATS + " for a KV cache, got " + format);
    }

    /** The storage format of the caches this mechanism reads. */
    public DType format() {
        return format;
    }

    @Override
    protected Support check(AttentionProblem p) {
        if (format == DType.Q8_0 && p.headDim() % Q8_0.BLOCK != 0) {
            return Support.no("head dim: Q8_0 needs a multiple of " + Q8_0.BLOCK + ", got " + p.headDim());
        }
        if (p.lq() > p.lk()) {
            return Support.no("queries: decoding takes at most Lk queries (the last positions of the sequence), got Lq="
                    + p.lq() + " > Lk=" + p.lk());
        }
        if (p.lk() > KvCache.maxTokens(p.headDim())) {
            return Support.no("keys: a cache holds at most " + KvCache.maxTokens(p.headDim()) + " tokens at head dim " + p.headDim()
                    + ", got Lk=" + p.lk());
        }
        return Support.YES;
    }

    @Override
    protected AttentionResult compute(AttentionProblem p) {
        KvCache cache = newCache(p.batch(), p.hkv(), p.headDim(), p.lk());
        cache.append(p.k(), p.v());
        return Decode.run(p.q(), cache, p.scale(), p.mask().kind().orElse("").equals("causal-br"), CacheSelection.all());
    }

    @Override
    public KvCache newCache(int batch, int kvHeads, int headDim, int capacity) {
        return new KvCache(format, batch, kvHeads, headDim, capacity);
    }

    @Override
    public long stepBytes(int batch, int kvHeads, int tokens, int headDim) {
        return Cost.kvCacheBytes(format, batch, kvHeads, tokens, headDim);
    }

    @Override
    public AttentionResult attend(Tensor q, KvCache cache) {
        if (cache == null) throw new IllegalArgumentException("cache: expected a KvCache, got null");
        return attend(q, cache, (float) (1.0 / Math.sqrt(cache.headDim())));
    }

    /** Attention of {@code q [B, Hq, Lq, D]}, the last Lq positions (bottom-right causal), over the cache. */
    @Override
    public AttentionResult attend(Tensor q, KvCache cache, float scale) {
        return attend(q, cache, scale, CacheSelection.all());
    }

    @Override
    public AttentionResult attend(Tensor q, KvCache cache, CacheSelection keys) {
        if (cache == null) throw new IllegalArgumentException("cache: expected a KvCache, got null");
        return attend(q, cache, (float) (1.0 / Math.sqrt(cache.headDim())), keys);
    }

    /**
     * Attention of {@code q [B, Hq, Lq, D]} over the selected tokens of the cache: the queries of sequence b are its
     * last Lq positions ({@code length(b) - Lq + i}, bottom-right causal), each sequence at its own length.
     */
    @Override
    public AttentionResult attend(Tensor q, KvCache cache, float scale, CacheSelection keys) {
        if (cache == null) throw new IllegalArgumentException("cache: expected a KvCache, got null");
        if (q == null) throw new IllegalArgumentException("q: expected a tensor [B, Hq, Lq, D], got null");
        if (keys == null) throw new IllegalArgumentException("keys: expected a CacheSelection (CacheSelection.all() for every token), got null");
        if (cache.format() != format) {
            throw new IllegalArgumentException("cache: mechanism '" + name() + "' reads " + format + " caches, got a " + cache.format() + " cache");
        }
        int b = cache.batch(), hkv = cache.kvHeads(), d = cache.headDim();
        if (q.rank() != 4 || q.dim(0) != b || q.dim(3) != d || q.dim(1) < hkv || q.dim(1) % hkv != 0) {
            throw new IllegalArgumentException("q: expected shape [" + b + ", a multiple of " + hkv + ", Lq, " + d
                    + "] for this cache, got " + Arrays.toString(q.shape()));
        }
        for (int s = 0; s < b; s++) {
            int n = cache.length(s);
            if (n == 0) {
                throw new IllegalArgumentException("cache: expected at least one token appended to every sequence, got none in sequence " + s
                        + (b == 1 ? " (an empty cache)" : ""));
            }
            if (q.dim(2) < 1 || q.dim(2) > n) {
                throw new IllegalArgumentException("q: expected 1 to " + n + " queries (the length of sequence " + s + "), got " + q.dim(2));
            }
        }
        if (!Float.isFinite(scale) || scale == 0f) throw new IllegalArgumentException("scale: expected finite non-zero, got " + scale);
        keys.validate(cache);
        return Decode.run(q, cache, scale, true, keys);
    }
}
