// SPDX-License-Identifier: LGPL-2.1-or-later
// Writes a pattern into a storage buffer: d[i] = i * 2654435761 + seed (tools/vk/vkhost.c).
#version 450
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Data { uint d[]; };
layout(push_constant) uniform Params { uint seed; uint n; };
void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i < n)
        d[i] = i * 2654435761u + seed;
}
