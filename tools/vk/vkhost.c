/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vulkan compute on imported memory: see vkhost.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <drm_fourcc.h>

#include "vkhost.h"
#include "why.h"
#include "fill.spv.h" /* vkh_fill_spv[]: tools/vk/fill.comp, compiled at build time */

#define VK_TRY(call, what)                                                     \
	do {                                                                   \
		VkResult _r = (call);                                          \
		if (_r != VK_SUCCESS)                                          \
			return why_fail(-EIO, why, len, "%s: VkResult %d", (what), _r); \
	} while (0)

static bool has_ext(VkPhysicalDevice pd, const char *name)
{
	VkExtensionProperties e[512];
	uint32_t n = 512;

	if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e) < 0)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(e[i].extensionName, name))
			return true;
	return false;
}

static bool compute_family(VkPhysicalDevice pd, uint32_t *ret)
{
	VkQueueFamilyProperties q[16];
	uint32_t n = 16;

	vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, q);
	for (uint32_t i = 0; i < n; i++)
		if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
			*ret = i;
			return true;
		}
	return false;
}

static int pick_device(struct vkh *v, char *why, size_t len)
{
	VkPhysicalDevice pds[16];
	uint32_t n = 16;
	char seen[512] = "";

	VK_TRY(vkEnumeratePhysicalDevices(v->inst, &n, pds), "vkEnumeratePhysicalDevices");
	for (uint32_t i = 0; i < n; i++) {
		VkPhysicalDeviceProperties p;

		vkGetPhysicalDeviceProperties(pds[i], &p);
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%.100s", i ? ", " : "",
			 p.deviceName);
		if (has_ext(pds[i], VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME) &&
		    compute_family(pds[i], &v->qfamily)) {
			v->pd = pds[i];
			snprintf(v->name, sizeof(v->name), "%s", p.deviceName);
			return 0;
		}
	}
	return why_fail(-ENODEV, why, len,
			"no Vulkan device with VK_EXT_external_memory_host (devices: %s; mesa-vulkan-drivers gives lavapipe)",
			n ? seen : "none");
}

static void query_limits(struct vkh *v)
{
	VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT };
	VkPhysicalDeviceProperties2 p = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
					  .pNext = &host };

	vkGetPhysicalDeviceProperties2(v->pd, &p);
	v->host_align = host.minImportedHostPointerAlignment;
	vkGetPhysicalDeviceMemoryProperties(v->pd, &v->mem);
	v->has_dmabuf = has_ext(v->pd, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME) &&
			has_ext(v->pd, VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME);
}

static int make_device(struct vkh *v, char *why, size_t len)
{
	const char *exts[4] = { VK_KHR_EXTERNAL_MEMORY_EXTENSION_NAME,
				VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME,
				VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
				VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME };
	const char *all[5];
	uint32_t n = 0;
	float prio = 1.0f;
	VkDeviceQueueCreateInfo q = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
				      .queueFamilyIndex = v->qfamily, .queueCount = 1,
				      .pQueuePriorities = &prio };
	VkDeviceCreateInfo d = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
				 .queueCreateInfoCount = 1, .pQueueCreateInfos = &q };

	for (int i = 0; i < 4; i++)
		if (has_ext(v->pd, exts[i]))
			all[n++] = exts[i];
	if (v->has_dmabuf)
		all[n++] = VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME;
	d.enabledExtensionCount = n;
	d.ppEnabledExtensionNames = all;
	VK_TRY(vkCreateDevice(v->pd, &d, NULL, &v->dev), "vkCreateDevice");
	vkGetDeviceQueue(v->dev, v->qfamily, 0, &v->queue);
	v->host_props = (PFN_vkGetMemoryHostPointerPropertiesEXT)vkGetDeviceProcAddr(
		v->dev, "vkGetMemoryHostPointerPropertiesEXT");
	v->fd_props = (PFN_vkGetMemoryFdPropertiesKHR)vkGetDeviceProcAddr(v->dev,
									"vkGetMemoryFdPropertiesKHR");
	return 0;
}

static int make_pipeline(struct vkh *v, char *why, size_t len)
{
	VkDescriptorSetLayoutBinding bind = { .binding = 0, .descriptorCount = 1,
					      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
					      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT };
	VkDescriptorSetLayoutCreateInfo dl = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
					       .bindingCount = 1, .pBindings = &bind };
	VkPushConstantRange pc = { .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = 8 };
	VkPipelineLayoutCreateInfo pl = { .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
					  .setLayoutCount = 1, .pSetLayouts = &v->dsl,
					  .pushConstantRangeCount = 1, .pPushConstantRanges = &pc };
	VkShaderModuleCreateInfo sm = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
					.codeSize = sizeof(vkh_fill_spv), .pCode = vkh_fill_spv };
	VkComputePipelineCreateInfo cp = { .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			   .stage = VK_SHADER_STAGE_COMPUTE_BIT, .pName = "main" } };
	VkDescriptorPoolSize ps = { .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = 16 };
	VkDescriptorPoolCreateInfo dp = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
					  .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
					  .maxSets = 16, .poolSizeCount = 1, .pPoolSizes = &ps };
	VkCommandPoolCreateInfo cpi = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
					.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
					.queueFamilyIndex = v->qfamily };
	VkShaderModule mod;
	VkResult r;

	VK_TRY(vkCreateDescriptorSetLayout(v->dev, &dl, NULL, &v->dsl), "vkCreateDescriptorSetLayout");
	VK_TRY(vkCreatePipelineLayout(v->dev, &pl, NULL, &v->layout), "vkCreatePipelineLayout");
	VK_TRY(vkCreateShaderModule(v->dev, &sm, NULL, &mod), "vkCreateShaderModule");
	cp.stage.module = mod;
	cp.layout = v->layout;
	r = vkCreateComputePipelines(v->dev, VK_NULL_HANDLE, 1, &cp, NULL, &v->pipe);
	vkDestroyShaderModule(v->dev, mod, NULL);
	VK_TRY(r, "vkCreateComputePipelines");
	VK_TRY(vkCreateDescriptorPool(v->dev, &dp, NULL, &v->dpool), "vkCreateDescriptorPool");
	VK_TRY(vkCreateCommandPool(v->dev, &cpi, NULL, &v->pool), "vkCreateCommandPool");
	return 0;
}

int vkh_open(struct vkh *v, char *why, size_t len)
{
	VkApplicationInfo app = { .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
				  .pApplicationName = "sealbuf", .apiVersion = VK_API_VERSION_1_1 };
	VkInstanceCreateInfo ic = { .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
				    .pApplicationInfo = &app };
	VkResult r;
	int e;

	memset(v, 0, sizeof(*v));
	r = vkCreateInstance(&ic, NULL, &v->inst);
	if (r != VK_SUCCESS)
		return why_fail(-ENODEV, why, len, "no Vulkan instance (VkResult %d): no ICD installed?", r);
	e = pick_device(v, why, len);
	if (e == 0) {
		query_limits(v);
		e = make_device(v, why, len);
	}
	if (e == 0)
		e = make_pipeline(v, why, len);
	if (e < 0)
		vkh_close(v);
	return e;
}

void vkh_close(struct vkh *v)
{
	if (v->dev) {
		vkDeviceWaitIdle(v->dev);
		vkDestroyCommandPool(v->dev, v->pool, NULL);
		vkDestroyDescriptorPool(v->dev, v->dpool, NULL);
		vkDestroyPipeline(v->dev, v->pipe, NULL);
		vkDestroyPipelineLayout(v->dev, v->layout, NULL);
		vkDestroyDescriptorSetLayout(v->dev, v->dsl, NULL);
		vkDestroyDevice(v->dev, NULL);
	}
	if (v->inst)
		vkDestroyInstance(v->inst, NULL);
	memset(v, 0, sizeof(*v));
}

static int memory_type(const struct vkh *v, uint32_t bits, VkMemoryPropertyFlags want)
{
	for (uint32_t i = 0; i < v->mem.memoryTypeCount; i++)
		if ((bits & (1u << i)) && (v->mem.memoryTypes[i].propertyFlags & want) == want)
			return (int)i;
	return -1;
}

static int make_buffer(struct vkh *v, size_t size, VkExternalMemoryHandleTypeFlags ext,
		       VkBuffer *ret, char *why, size_t len)
{
	VkExternalMemoryBufferCreateInfo e = { .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
					       .handleTypes = ext };
	VkBufferCreateInfo bc = { .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .pNext = ext ? &e : NULL,
				  .size = size, .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
				  .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
					   VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
					   VK_BUFFER_USAGE_TRANSFER_DST_BIT };

	VK_TRY(vkCreateBuffer(v->dev, &bc, NULL, ret), "vkCreateBuffer");
	return 0;
}

int vkh_import_host(struct vkh *v, void *ptr, size_t size, struct vkh_buf *b, char *why, size_t len)
{
	VkMemoryHostPointerPropertiesEXT hp = { .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT };
	VkImportMemoryHostPointerInfoEXT imp = { .sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, .pHostPointer = ptr };
	VkMemoryAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &imp,
				    .allocationSize = size };
	VkMemoryRequirements req;
	int e, type;

	if ((uintptr_t)ptr % v->host_align || size % v->host_align)
		return why_fail(-EINVAL, why, len, "pointer or size not aligned to %llu",
				(unsigned long long)v->host_align);
	e = make_buffer(v, size, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, &b->buf,
			why, len);
	if (e < 0)
		return e;
	VK_TRY(v->host_props(v->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, ptr, &hp),
	       "vkGetMemoryHostPointerPropertiesEXT");
	vkGetBufferMemoryRequirements(v->dev, b->buf, &req);
	type = memory_type(v, hp.memoryTypeBits & req.memoryTypeBits, 0);
	if (type < 0)
		return why_fail(-EIO, why, len, "no memory type takes this host pointer");
	ai.memoryTypeIndex = (uint32_t)type;
	VK_TRY(vkAllocateMemory(v->dev, &ai, NULL, &b->mem), "vkAllocateMemory (host pointer import)");
	VK_TRY(vkBindBufferMemory(v->dev, b->buf, b->mem, 0), "vkBindBufferMemory");
	b->size = size;
	return 0;
}

int vkh_device_buffer(struct vkh *v, size_t size, struct vkh_buf *b, char *why, size_t len)
{
	VkMemoryAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
	VkMemoryRequirements req;
	int e = make_buffer(v, size, 0, &b->buf, why, len), type;

	if (e < 0)
		return e;
	vkGetBufferMemoryRequirements(v->dev, b->buf, &req);
	type = memory_type(v, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
	ai.allocationSize = req.size;
	ai.memoryTypeIndex = (uint32_t)(type < 0 ? 0 : type);
	VK_TRY(vkAllocateMemory(v->dev, &ai, NULL, &b->mem), "vkAllocateMemory");
	VK_TRY(vkBindBufferMemory(v->dev, b->buf, b->mem, 0), "vkBindBufferMemory");
	b->size = size;
	return 0;
}

void vkh_buf_free(struct vkh *v, struct vkh_buf *b)
{
	vkDestroyBuffer(v->dev, b->buf, NULL);
	vkFreeMemory(v->dev, b->mem, NULL);
	memset(b, 0, sizeof(*b));
}

/* Record with @rec, submit, wait. */
static int run_once(struct vkh *v, void (*rec)(VkCommandBuffer, const void *), const void *arg,
		    char *why, size_t len)
{
	VkCommandBufferAllocateInfo ca = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
					   .commandPool = v->pool, .commandBufferCount = 1,
					   .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY };
	VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
					.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT };
	VkFenceCreateInfo fi = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1 };
	VkCommandBuffer cb;
	VkFence fence;
	VkResult r;

	VK_TRY(vkAllocateCommandBuffers(v->dev, &ca, &cb), "vkAllocateCommandBuffers");
	vkBeginCommandBuffer(cb, &bi);
	rec(cb, arg);
	vkEndCommandBuffer(cb);
	si.pCommandBuffers = &cb;
	VK_TRY(vkCreateFence(v->dev, &fi, NULL, &fence), "vkCreateFence");
	r = vkQueueSubmit(v->queue, 1, &si, fence);
	if (r == VK_SUCCESS)
		r = vkWaitForFences(v->dev, 1, &fence, VK_TRUE, UINT64_MAX);
	vkDestroyFence(v->dev, fence, NULL);
	vkFreeCommandBuffers(v->dev, v->pool, 1, &cb);
	VK_TRY(r, "vkQueueSubmit/vkWaitForFences");
	return 0;
}

struct fill_args {
	const struct vkh *v;
	VkDescriptorSet set;
	uint32_t push[2];
};

static void record_fill(VkCommandBuffer cb, const void *arg)
{
	const struct fill_args *a = arg;
	VkMemoryBarrier mb = { .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
			       .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
			       .dstAccessMask = VK_ACCESS_HOST_READ_BIT };

	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, a->v->pipe);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, a->v->layout, 0, 1, &a->set, 0,
				NULL);
	vkCmdPushConstants(cb, a->v->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 8, a->push);
	vkCmdDispatch(cb, (a->push[1] + 63) / 64, 1, 1);
	/* Make the shader's writes visible to the host (and so to every process mapping it). */
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
			     1, &mb, 0, NULL, 0, NULL);
}

int vkh_fill(struct vkh *v, const struct vkh_buf *b, uint32_t seed, char *why, size_t len)
{
	VkDescriptorSetAllocateInfo da = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
					   .descriptorPool = v->dpool, .descriptorSetCount = 1,
					   .pSetLayouts = &v->dsl };
	VkDescriptorBufferInfo dbi = { .buffer = b->buf, .range = VK_WHOLE_SIZE };
	VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .descriptorCount = 1,
				   .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
				   .pBufferInfo = &dbi };
	struct fill_args a = { .v = v, .push = { seed, (uint32_t)(b->size / 4) } };
	int e;

	if (b->size / 4 / 64 > 65535)
		return why_fail(-EINVAL, why, len, "buffer too large for one dispatch");
	VK_TRY(vkAllocateDescriptorSets(v->dev, &da, &a.set), "vkAllocateDescriptorSets");
	w.dstSet = a.set;
	vkUpdateDescriptorSets(v->dev, 1, &w, 0, NULL);
	e = run_once(v, record_fill, &a, why, len);
	vkFreeDescriptorSets(v->dev, v->dpool, 1, &a.set);
	return e;
}

struct copy_args {
	const struct vkh_buf *src, *dst;
};

static void record_copy(VkCommandBuffer cb, const void *arg)
{
	const struct copy_args *a = arg;
	VkBufferCopy c = { .size = a->src->size < a->dst->size ? a->src->size : a->dst->size };

	vkCmdCopyBuffer(cb, a->src->buf, a->dst->buf, 1, &c);
}

int vkh_copy(struct vkh *v, const struct vkh_buf *src, const struct vkh_buf *dst, char *why,
	     size_t len)
{
	struct copy_args a = { src, dst };

	return run_once(v, record_copy, &a, why, len);
}

static VkFormat vk_format(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		return VK_FORMAT_B8G8R8A8_UNORM;
	default:
		return VK_FORMAT_UNDEFINED;
	}
}

int vkh_import_dmabuf_image(struct vkh *v, int fd, uint32_t fourcc, uint32_t width,
			    uint32_t height, uint64_t offset, uint32_t stride, char *why, size_t len)
{
	VkSubresourceLayout plane = { .offset = offset, .rowPitch = stride };
	VkImageDrmFormatModifierExplicitCreateInfoEXT mod = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_EXPLICIT_CREATE_INFO_EXT,
		.drmFormatModifier = DRM_FORMAT_MOD_LINEAR, .drmFormatModifierPlaneCount = 1,
		.pPlaneLayouts = &plane };
	VkExternalMemoryImageCreateInfo ext = { .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO,
		.pNext = &mod, .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT };
	VkImageCreateInfo ic = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, .pNext = &ext,
		.imageType = VK_IMAGE_TYPE_2D, .format = vk_format(fourcc),
		.extent = { width, height, 1 }, .mipLevels = 1, .arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT, .tiling = VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT,
		.usage = VK_IMAGE_USAGE_SAMPLED_BIT, .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED };
	VkMemoryFdPropertiesKHR fp = { .sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR };
	VkImportMemoryFdInfoKHR imp = { .sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT };
	VkMemoryDedicatedAllocateInfo ded = { .sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
					      .pNext = &imp };
	VkMemoryAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &ded };
	VkMemoryRequirements req;
	VkDeviceMemory mem;
	VkImage img;
	int type;

	if (!v->has_dmabuf || ic.format == VK_FORMAT_UNDEFINED)
		return why_fail(-EOPNOTSUPP, why, len, "no dma-buf import for this device or format");
	VK_TRY(vkCreateImage(v->dev, &ic, NULL, &img), "vkCreateImage (DRM format modifier)");
	VK_TRY(v->fd_props(v->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT, fd, &fp),
	       "vkGetMemoryFdPropertiesKHR");
	vkGetImageMemoryRequirements(v->dev, img, &req);
	type = memory_type(v, fp.memoryTypeBits & req.memoryTypeBits, 0);
	imp.fd = dup(fd); /* Vulkan owns the fd it imports */
	ded.image = img;
	ai.allocationSize = req.size;
	ai.memoryTypeIndex = (uint32_t)(type < 0 ? 0 : type);
	VK_TRY(vkAllocateMemory(v->dev, &ai, NULL, &mem), "vkAllocateMemory (dma-buf import)");
	VK_TRY(vkBindImageMemory(v->dev, img, mem, 0), "vkBindImageMemory");
	vkDestroyImage(v->dev, img, NULL);
	vkFreeMemory(v->dev, mem, NULL);
	return 0;
}
