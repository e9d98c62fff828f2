"""The hardware and perf standard of issue 14, concept by concept, in English and Chinese.

Each row is a short entry written for this test (title, description, optional section
heading) and the hardware/perf answer a reader of these lists would give. The rows name
the concept they check, so a failure says which part of the vocabulary is missing or
too loose.
"""

from __future__ import annotations

import pytest

from curator.curate.rules import Tagger, TagInput, load_rules
from tests.support.cli import ROOT


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_rules(ROOT / "data" / "tags.toml"))


def tags(tagger: Tagger, title: str, description: str = "", section: str = "") -> set[str]:
    heading = (section,) if section else ()
    return set(tagger.tag(TagInput(title, description, "", heading))) & {"hardware", "perf"}


H, P, HP, NONE = {"hardware"}, {"perf"}, {"hardware", "perf"}, set[str]()

# (concept, title, description, section, expected {hardware, perf} subset)
ROWS: list[tuple[str, str, str, str, set[str]]] = [
    # -- hardware: accelerators and chips, and their architecture
    ("gpu", "How GPUs work", "An illustrated guide to graphics processors", "", H),
    ("npu", "NPU design notes", "", "", H),
    ("tpu", "Inside the TPU", "systolic arrays explained", "", H),
    ("fpga", "FPGA-based CNN inference", "", "", H),
    ("asic", "Designing an ASIC for transformers", "", "", H),
    ("ai chip", "The AI chip landscape", "", "", H),
    ("ai accelerator", "A survey of AI accelerators", "", "", H),
    ("sm", "Streaming multiprocessors and warps", "", "", H),
    ("tensor cores", "Programming Tensor Cores with WMMA", "", "", H),
    ("warp", "Warp divergence explained", "", "", H),
    ("microarchitecture", "Dissecting the Hopper microarchitecture", "", "", H),
    # -- hardware: device-level programming
    ("cuda", "CUDA by example", "", "", H),
    ("rocm", "Getting started with ROCm", "", "", H),
    ("hip", "Porting to HIP", "HIP programming guide for AMD devices", "", H),
    ("opencl", "OpenCL in action", "", "", H),
    ("sycl", "Data Parallel C++ with SYCL", "", "", H),
    ("ptx", "Reading PTX", "", "", H),
    ("triton", "Writing kernels in Triton", "", "", HP),
    ("device kernel", "A CUDA kernel for softmax", "", "", HP),
    # -- hardware: interconnects and clusters
    ("nvlink", "NVLink and NVSwitch explained", "", "", H),
    ("infiniband", "InfiniBand for AI clusters", "", "", H),
    ("rdma", "RDMA over Converged Ethernet (RoCE) basics", "", "", H),
    ("pcie", "PCIe bandwidth between host and device", "", "", H),
    ("cxl", "What CXL means for memory pooling", "", "", H),
    ("supercomputer", "Frontier, the exascale supercomputer", "", "", H),
    ("datacenter", "Datacenter design for AI training", "", "", H),
    ("hpc system", "Building an HPC system", "", "", HP),
    # -- hardware: memory and cache hierarchies
    ("hbm", "HBM3 and the memory wall", "", "", H),
    ("dram", "What every programmer should know about DRAM", "", "", H),
    ("sram", "SRAM on-chip buffers", "", "", H),
    ("cache hierarchy", "CPU cache hierarchy explained", "", "", H),
    ("memory bandwidth", "Memory bandwidth is the bottleneck", "", "", HP),
    ("roofline", "The roofline model", "", "", HP),
    # -- hardware: vendors' products
    ("a100", "NVIDIA A100 whitepaper", "", "", H),
    ("h100", "H100 deep dive", "", "", H),
    ("b200", "B200 specs", "", "", H),
    ("mi300", "AMD Instinct MI300X review", "", "", H),
    ("gaudi", "Intel Gaudi 2 for training", "", "", H),
    ("tpu v4", "TPU v4: an optically reconfigurable supercomputer", "", "", H),
    ("ascend", "华为昇腾 Ascend 910 入门", "", "", H),
    ("jetson", "Jetson Orin Nano setup", "", "", H),
    ("ane", "The Apple Neural Engine", "", "", H),
    # -- hardware: a device class
    ("mobile npu", "Running models on a mobile NPU", "", "", H),
    ("edge board", "Object detection on edge devices", "", "", H),
    ("mcu", "Keyword spotting on microcontrollers", "", "", H),
    ("raspberry pi", "Image classification on a Raspberry Pi", "", "", H),
    ("tinyml", "TinyML on Arduino boards", "", "", H),
    ("snapdragon", "LLMs on Snapdragon phones", "", "", H),
    ("cortex-m", "CNNs on Cortex-M", "", "", H),
    ("rk3588", "YOLO on the RK3588", "", "", H),
    ("国产芯片厂商", "摩尔线程与沐曦的 GPU 对比", "", "", H),
    # -- hardware in Chinese
    ("芯片", "AI 芯片综述", "", "", H),
    ("硬件", "深度学习硬件入门", "", "", H),
    ("集群", "万卡集群的网络设计", "", "", H),
    ("互联", "GPU 互联技术详解", "", "", H),
    ("带宽", "显存带宽与算力", "", "", HP),
    # -- not hardware: runs on a GPU, sits in a GPU section, GPT is not GPU
    ("tokenizer in gpu section", "A tokenizer tutorial", "", "GPU", NONE),
    ("gpt-4", "GPT-4 technical report", "", "", NONE),
    ("gui with gpu", "PyQt GUI", "Desktop GUI toolkit with GPU acceleration", "", NONE),
    ("runs on gpu", "ImageNet classifier", "Trains on a GPU in two hours", "", NONE),
    ("agent memory", "Long-term memory for agents", "", "", NONE),
    ("cache as a web thing", "HTTP cache headers", "", "", NONE),
    ("parallel as a shell thing", "GNU parallel", "Run shell jobs in parallel", "", NONE),
    ("bluetooth", "A Bluetooth client", "", "Hardware", NONE),
    ("chip as a ui word", "Chip component", "A Material chip for tags", "", NONE),
    ("image warping", "Image warping with optical flow", "", "", NONE),
    ("web cache in chinese", "Redis 缓存设计", "", "", NONE),
    ("internet is not interconnect", "互联网大厂面试题", "", "", NONE),
    # -- perf: acceleration and optimization
    ("speedup", "A 3x speedup for diffusion sampling", "", "", P),
    ("accelerating", "Accelerating PyTorch training", "", "", P),
    ("optimizing", "Optimizing inference of ViT", "", "", P),
    ("benchmark", "Benchmarking LLM inference servers", "", "", P),
    ("profiling", "Profiling PyTorch with the profiler", "", "", P),
    ("tracing", "Performance tracing with Perfetto", "", "", P),
    ("latency", "Reducing latency of LLM APIs", "", "", P),
    ("throughput", "Maximizing throughput of batch jobs", "", "", P),
    ("tokens per second", "100 tokens per second on a laptop", "", "", P),
    ("qps", "Scaling a recommender to 1M QPS", "", "", P),
    # -- perf: kernels and attention
    ("flashattention", "FlashAttention-2", "Faster attention with better parallelism", "", P),
    ("pagedattention", "PagedAttention", "", "", P),
    ("fused kernel", "Fused kernels for layer norm", "", "", P),
    # -- perf: quantization and compression for speed or memory
    ("int8", "INT8 inference", "", "", P),
    ("gptq", "GPTQ", "Post-training quantization for generative transformers", "", P),
    ("awq", "AWQ: activation-aware weight quantization", "", "", P),
    ("fp8", "FP8 training", "", "", P),
    ("pruning", "Structured pruning for faster inference", "", "", P),
    ("distillation", "Distilling BERT for faster inference", "", "", P),
    # -- perf: parallel and distributed training efficiency
    ("data parallel", "Data parallelism vs. tensor parallelism", "", "", P),
    ("pipeline parallel", "Pipeline parallelism explained", "", "", P),
    ("zero", "ZeRO: memory optimizations toward training trillion parameter models", "", "", P),
    ("fsdp", "Getting started with FSDP", "", "", P),
    ("megatron", "Megatron-LM", "Training multi-billion parameter language models", "", P),
    ("zero-offload", "ZeRO-Offload", "Billion-scale model training with CPU offloading", "", P),
    # -- perf: inference serving
    ("vllm", "vLLM", "", "", P),
    ("continuous batching", "Continuous batching for LLM inference", "", "", P),
    ("speculative decoding", "Speculative decoding", "", "", P),
    ("kv cache", "KV cache explained", "", "", P),
    # -- perf: compilers for speed
    ("xla", "XLA: optimizing compiler for ML", "", "", P),
    ("tvm", "Apache TVM", "An end to end ML compiler framework", "", P),
    ("dl compiler", "A survey of deep learning compilers", "", "", P),
    ("torch.compile", "torch.compile", "", "", P),
    ("tensorrt", "TensorRT", "", "", P),
    # -- perf: memory efficiency, energy
    ("oom", "Fixing CUDA OOM errors", "", "", HP),
    ("memory footprint", "Reducing memory footprint of training", "", "", P),
    ("energy", "Energy-efficient inference", "", "", P),
    ("tflops", "Reaching 300 TFLOPS in a matmul", "", "", P),
    ("功耗", "降低推理功耗", "", "", P),
    # -- perf in Chinese
    ("加速", "大模型推理加速", "", "", P),
    ("性能", "PyTorch 性能调优指南", "", "", P),
    ("优化", "CUDA 算子优化", "", "", HP),
    ("吞吐", "提高吞吐的技巧", "", "", P),
    ("延迟", "降低首字延迟", "", "", P),
    ("显存", "显存不够怎么办", "", "", H),
    ("显存优化", "大模型训练的显存优化", "", "", HP),
    ("算子", "算子开发入门", "", "", P),
    ("并行", "张量并行与流水线并行", "", "", P),
    ("分布式训练效率", "提升分布式训练效率", "", "", P),
    ("量化", "大模型量化", "", "", P),
    ("剪枝", "模型剪枝加速推理", "", "", P),
    ("蒸馏", "用蒸馏降低推理延迟", "", "", P),
    ("压缩", "模型压缩与内存优化", "", "", P),
    ("基准", "推理基准测试", "", "", P),
    # -- perf in plain English (the words the issue found missing)
    ("speed up", "Speed up your pandas code", "", "", P),
    ("runtime performance", "Improving runtime performance of Python", "", "", P),
    ("inference arithmetic", "Transformer inference arithmetic", "", "", P),
    ("launch overhead", "Cutting kernel launch overhead", "", "", P),
    ("data locality", "Data locality in loop nests", "", "", P),
    ("low latency", "Low-latency inference", "", "", P),
    ("tokens/s", "Llama at 500 tokens/s", "", "", P),
    ("memory-efficient", "Memory-efficient attention", "", "", P),
    ("false sharing", "False sharing and cache lines", "", "", HP),
    ("性能评测", "推理框架性能评测", "", "", P),
    ("内存优化", "Python 内存优化", "", "", P),
    ("cpu 缓存", "CPU 缓存与伪共享", "", "", HP),
    ("a cuda heading is only layout", "Notes on occupancy", "", "CUDA", P),
    # -- not perf: loose words, quality benchmarks, markdown, agents
    ("markdown", "Markdown syntax guide", "", "", NONE),
    ("fast tagline", "Fastify", "Fast and low overhead web framework", "", NONE),
    ("quality benchmark", "MMLU", "A benchmark of language understanding", "", NONE),
    ("textbooks", "Textbooks Are All You Need", "", "", NONE),
    ("parameter-efficient", "Parameter-efficient fine-tuning with adapters", "", "", NONE),
    ("optimizer", "Adam: a method for stochastic optimization", "", "", NONE),
    ("quant trading", "量化交易入门", "", "", NONE),
    ("dataset distillation", "Dataset distillation", "", "", NONE),
    ("parallel corpus", "A parallel corpus for translation", "", "", NONE),
    ("efficient as a tagline", "Notes app", "A simple and efficient tool for notes", "", NONE),
    ("quality evaluation", "大模型能力评测", "", "", NONE),
    ("real-time as a feature", "Real-time chat app", "", "", NONE),
    ("data profiling", "pandas-profiling", "Data quality profiling for data frames", "", NONE),
    ("a jupyter kernel", "Kernel Detection", "A Jupyter plugin to find kernels", "", NONE),
    ("chip maker's model", "Breeze-7B", "A language model from MediaTek Research", "", NONE),
    ("docker datacenter", "Docker Datacenter", "Container management for teams", "", NONE),
    ("shared memory ipc", "Boost.Interprocess", "Shared memory between processes", "", NONE),
    ("diffusion in a gpu section", "Diffusion models explained", "", "GPU", NONE),
    # knowledge distillation is as often done for the student's accuracy: perf needs speed
    # or memory said
    ("distillation alone", "知识蒸馏", "", "", NONE),
    ("compiler infrastructure alone", "MLIR tutorial", "", "", NONE),
    ("cloud api named after a chip maker", "g1", "Reasoning chains on a hosted API", "", NONE),
    # -- words that name the thing only in some company (`with_entry`)
    ("a notebook kernel", "Matlab Kernel", "Run Matlab in notebooks", "", NONE),
    ("a fused kernel", "Fused softmax", "A kernel that fuses softmax into attention", "", P),
    ("a model-quality benchmark", "Benchmarking LLMs for summarization", "", "", NONE),
    ("a speed benchmark", "serve-bench", "Benchmark of serving latency and throughput", "", P),
    ("optimization of training", "Direct Preference Optimization", "", "", NONE),
    ("optimization of inference", "Optimizing LLM inference", "", "", P),
    ("a model on a phone", "LLM inference on smartphones", "", "", H),
    ("an app for phones", "Framework7", "A UI framework for mobile devices", "", NONE),
    ("a dnn accelerator", "Eyeriss", "An energy-efficient accelerator for deep CNNs", "", HP),
    ("a startup accelerator", "Y Combinator", "A startup accelerator program", "", NONE),
    ("peripheral i/o on a board", "pigpio", "GPIO and PWM control on the Raspberry Pi", "", NONE),
    # -- taglines: a speed word in a list of virtues is not the item's point
    ("virtues", "gogu", "A comprehensive, reusable and efficient utility library", "", NONE),
    ("most interactive", "cointop", "The fastest and most interactive crypto TUI", "", NONE),
    ("speed with speed", "vllm", "A high-throughput and memory-efficient serving engine", "", P),
    ("better and faster", "SkyLadder: Better and Faster Pretraining", "", "", P),
    ("the user's speed", "jump", "Navigate faster by learning your habits", "", NONE),
    # -- a paper's title says its point; a tool's name does not
    ("fast in a paper title", "Fast Synchronous LLM Reinforcement Learning", "", "", P),
    ("real-time detection", "DETRs Beat YOLOs on Real-time Object Detection", "", "", P),
    ("fast.ai is a name", "fast.ai Code-First Intro to NLP", "", "", NONE),
    # -- quantization and its relatives, for speed or memory
    ("binary networks", "XNOR-Net: ImageNet classification with binary networks", "", "", P),
    ("low bits", "Training LLMs in 1.58 bits", "", "", P),
    ("robust quantized nets", "Certified robustness of quantized networks", "[bnn]", "", NONE),
    # -- computer architecture
    ("register file", "Register file virtualization for GPUs", "", "", H),
    ("processing in memory", "Processing-in-memory for recommendation", "", "", H),
    ("hpc spelled out", "Introduction to High Performance Computing", "", "", HP),
    ("hpc abbreviated", "Art of HPC", "A series of books", "", HP),
    ("a scene's occupancy", "Occupancy networks for 3D reconstruction", "", "", NONE),
    ("sass the stylesheet language", "go-libsass", "A wrapper of the Sass library", "", NONE),
    # -- "efficient": a computation's, or a paper's topic; a product's own word is a tagline
    ("an efficient model release", "DeepSeek-V3", "An efficient open MoE model", "", NONE),
    ("efficient data extraction", "Sparrow", "Efficient data extraction from documents", "", NONE),
    ("efficient inference", "llm-engine", "Efficient inference of quantized LLMs", "", P),
    ("memory-efficient", "xformers-lite", "Memory-efficient attention blocks", "", P),
    ("more efficient", "Compressive Transformer", "A more efficient Transformer-XL", "", P),
    ("efficient in a title", "Efficient Training of Language Models on GPU Clusters", "", "", HP),
    # -- compressing a model is done for speed or memory; compressing media or files is not
    ("pruning alone", "模型剪枝", "", "", P),
    ("model compression", "PocketFlow", "Use AutoML to do model compression", "", P),
    ("low-rank compression", "SVD-LLM", "Truncation-aware SVD for LLM compression", "", P),
    ("kv cache compression", "KVQuant-lite", "Compressing the KV cache of long prompts", "", P),
    ("lightweight networks", "轻量级网络设计", "", "", P),
    ("mobile cnn", "RepViT: Revisiting Mobile CNN From ViT Perspective", "", "", P),
    ("an image codec", "Learned image compression with neural networks", "", "", NONE),
    ("gzip", "pgzip", "Parallel implementation of gzip compression", "", NONE),
    ("compression for robustness", "Compressing deep networks improves robustness", "", "", NONE),
    # -- training or inference spread over devices, and serving systems that schedule
    ("distributed training", "分布式训练入门", "", "", P),
    ("distributed framework", "Horovod", "Distributed training framework for PyTorch", "", P),
    ("distributed search", "Hyperopt", "Distributed hyperparameter optimization", "", NONE),
    ("serving research", "Llumnix", "Dynamic scheduling for LLM serving", "", P),
    ("disaggregated serving", "DistServe", "Disaggregated prefill, decode for LLM serving", "", P),
    ("a serving framework", "BentoML", "The unified model serving framework", "", NONE),
    ("serving fairness", "Fairness in serving large language models", "", "", NONE),
    # -- vendors' GPU libraries and GPU programming interfaces
    ("cublas", "cuBLAS", "Dense linear algebra library", "", H),
    ("cutlass", "CUTLASS", "Templates for matrix multiply", "", H),
    ("vulkan", "Vulkan compute shaders", "", "", H),
    ("cub", "CUB", "Block-wide primitives", "", H),
    ("cubes", "Magic Squares and Cubes", "", "", NONE),
    ("cupy", "CuPy", "NumPy-compatible arrays", "", H),
    ("hpc book", "Introduction to High-Performance Scientific Computing", "", "", HP),
    # -- a heading that names speed as its topic; one that names a method does not say why
    ("an acceleration chapter", "Medusa", "Multiple decoding heads", "Inference Acceleration", P),
    ("推理加速 chapter", "EAGLE", "", "推理加速", P),
    ("an attack under it", "BadSpec", "A backdoor in LLMs", "Efficient Inference", NONE),
    ("courses under it", "dl-course", "A PyTorch course", "Inference acceleration courses", NONE),
    ("a method heading", "Wanda", "A simple approach for LLMs", "Pruning and Sparsity", NONE),
    # -- measuring under load, memory allocation, computations made fast
    ("load testing", "k6-lite", "A load testing tool for APIs", "", P),
    ("压测", "接口压测实践", "", "", P),
    ("caching allocator", "The CUDA caching allocator", "", "", HP),
    ("space-efficient", "ribbon", "A space-efficient filter", "", P),
    ("high-performance gemm", "Anatomy of high-performance matrix multiplication", "", "", P),
    ("parallel processors", "Programming Massively Parallel Processors", "", "", HP),
    ("model architecture in chinese", "RE2 笔记", "模型体系结构与实验", "", NONE),
    ("computer architecture in chinese", "计算机体系结构：量化研究方法", "", "", H),
    ("accelerating science", "OLMo: Accelerating the Science of Language Models", "", "", NONE),
    # -- compilers for speed; SIMD makes a library fast, it is not a hardware topic
    ("triton language", "Triton language tutorials", "", "", HP),
    ("tensor compilers", "Awesome tensor compilers", "", "", P),
    ("a simd library", "simdjson-go", "JSON parsing with SIMD instructions", "", P),
    ("memory fragmentation", "Reducing memory fragmentation of LLM serving", "", "", P),
    ("flash memory", "LLM inference from flash memory", "", "", H),
    # -- inference time as a cost, not as a moment; an RL method is not a program's speed
    ("inference time cut", "TinyDet", "Cuts inference time by half on CPUs", "", P),
    ("at inference time", "Test-time scaling", "More reasoning at inference time", "", NONE),
    ("policy optimization", "Kimi k1.5", "Long-context RL with policy optimization", "", NONE),
    # -- the same taglines in Chinese: a product's 高性能 or 速度极快 is not its point
    ("高性能 product", "AUI", "一个靠谱的高性能移动前端框架", "", NONE),
    ("virtues with 、", "brpc-lite", "简单、高效、可靠的 RPC 框架", "", NONE),
    ("virtues run together", "httplib", "轻量高性能的 HTTP 库", "", NONE),
    ("速度极快的", "uv", "一个速度极快的 Python 包管理器", "", NONE),
    ("高性能 computation", "fastllm", "高性能的大模型推理引擎", "", P),
    ("inference speed", "tiny-llm", "推理速度快，延迟低", "", P),
    ("a 高性能 article", "高性能 MySQL 实践", "", "", P),
    ("高性能计算", "高性能计算入门", "", "", HP),
    ("why so fast", "Redis 为什么这么快", "", "", P),
    ("slow queries", "MySQL 慢查询分析", "", "", P),
    ("attention chapter", "Linformer", "Attention at a low cost", "Efficient Attention", P),
    ("perf as a word", "LLM-Perf Leaderboard", "Hugging Face", "", P),
    ("a backend in passing", "Jan", "Offline chat app; engines: llama.cpp, TensorRT-LLM", "", NONE),
    ("a component in passing", "ModernBERT", "Encoder with RoPE, FlashAttention", "", NONE),
    ("named after it", "TensorRT-LLM", "NVIDIA's library for LLMs", "", P),
    ("a quantization library", "bitsandbytes", "A library by Tim Dettmers", "", P),
    ("optimistic is not optimizing", "pocache", "Optimistic cache for Go services", "", NONE),
    ("efficient dataset distillation", "Efficient Dataset Distillation via Matching", "", "", NONE),
    ("binary hashing", "Deep binary hashing for image retrieval", "[bnn]", "", NONE),
    ("trace analysis", "Holistic Trace Analysis", "", "", P),
    ("overlap", "Comet", "Fine-grained computation-communication overlapping for MoE", "", P),
]


@pytest.mark.parametrize(
    ("concept", "title", "description", "section", "expected"),
    ROWS,
    ids=[row[0] for row in ROWS],
)
def test_the_standard_concept_by_concept(
    tagger: Tagger, concept: str, title: str, description: str, section: str, expected: set[str]
) -> None:
    assert tags(tagger, title, description, section) == expected, concept
